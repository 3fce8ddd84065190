#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/core/result.hpp"

namespace baton::worker::maintenance {

// The directories built-in maintenance may touch, from the worker's own
// config. A path is inside when, with symlinks resolved and `..` applied, it
// is a root or lies below one; no roots means every path is refused.
class AllowedRoots {
 public:
  AllowedRoots() = default;
  explicit AllowedRoots(std::vector<std::filesystem::path> roots);

  // The resolved path, or Errc::refused saying why. Relative paths are
  // refused: they would depend on the worker's working directory. Paths that
  // do not exist yet are resolved as far as they exist (weakly_canonical),
  // so a symlinked parent leading out of the roots is still caught.
  Result<std::filesystem::path> check(const std::filesystem::path& path) const;

  // True when an already resolved path is a root or below one.
  bool contains(const std::filesystem::path& resolved) const;

  const std::vector<std::filesystem::path>& roots() const { return roots_; }

 private:
  std::vector<std::filesystem::path> roots_;
};

// True when `path` equals `root` or lies below it, compared by whole
// components (so /srv/log2 is not inside /srv/log). Both must be normalized.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root);

}  // namespace baton::worker::maintenance
