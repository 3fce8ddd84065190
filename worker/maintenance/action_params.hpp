#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/core/result.hpp"
#include "worker/maintenance/allowed_roots.hpp"

namespace baton::worker::maintenance {

// Reads an action's string parameters into typed values. Getters never
// throw: the first problem is kept and the getter returns its fallback, so
// an action reads everything, then asks finish() whether to proceed.
// finish() also refuses parameters nobody read, so a misspelt `dryrun=1`
// or `keep_files=3` is an error rather than silently ignored.
class ActionParams {
 public:
  explicit ActionParams(const std::map<std::string, std::string>& raw) : raw_(raw) {}

  std::string required_text(const std::string& key);
  std::optional<std::string> text(const std::string& key);
  bool boolean(const std::string& key, bool fallback);
  int64_t integer(const std::string& key, int64_t min, int64_t max, int64_t fallback);
  // 500ms, 30s, 15m, 12h, 7d.
  std::chrono::milliseconds duration(const std::string& key, std::optional<std::chrono::milliseconds> fallback);
  // 1048576, 512KB, 100MB, 2GB.
  uint64_t byte_size(const std::string& key, uint64_t fallback);
  // Required, absolute and inside the roots; the resolved path.
  std::filesystem::path path(const std::string& key, const AllowedRoots& roots);

  // The first problem (Errc::refused), or ok when every parameter was read
  // and valid.
  Status finish() const;

 private:
  const std::string* lookup(const std::string& key);
  void problem(const std::string& key, const std::string& message);

  const std::map<std::string, std::string>& raw_;
  std::set<std::string> known_;
  std::optional<Error> first_problem_;
};

}  // namespace baton::worker::maintenance
