#include "worker/maintenance/allowed_roots.hpp"

#include <algorithm>

namespace baton::worker::maintenance {

namespace fs = std::filesystem;

namespace {

// Resolved at each check rather than once: a root that is itself a symlink,
// or that is created after start-up, must resolve to where it points now.
fs::path resolve(const fs::path& path, std::error_code& ec) {
  fs::path out = fs::weakly_canonical(path, ec);
  if (ec) return {};
  // weakly_canonical keeps a trailing separator ("/srv/log/"), which would
  // compare as an extra empty component.
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

}  // namespace

AllowedRoots::AllowedRoots(std::vector<fs::path> roots) : roots_(std::move(roots)) {}

bool is_within(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

bool AllowedRoots::contains(const fs::path& resolved) const {
  return std::any_of(roots_.begin(), roots_.end(), [&](const fs::path& root) {
    std::error_code ec;
    const fs::path resolved_root = resolve(root, ec);
    return !ec && is_within(resolved, resolved_root);
  });
}

Result<fs::path> AllowedRoots::check(const fs::path& path) const {
  if (path.empty()) return make_error(Errc::refused, "empty path");
  if (!path.is_absolute()) return make_error(Errc::refused, "path must be absolute: " + path.string());
  if (roots_.empty()) return make_error(Errc::refused, "no allowed_roots are configured, so no path is allowed");
  std::error_code ec;
  const fs::path resolved = resolve(path, ec);
  if (ec) return make_error(Errc::refused, "cannot resolve " + path.string() + ": " + ec.message());
  if (!contains(resolved)) {
    std::string roots;
    for (const auto& root : roots_) roots += (roots.empty() ? "" : ", ") + root.string();
    std::string shown = path.string();
    if (resolved != path.lexically_normal()) shown += " (resolves to " + resolved.string() + ")";
    return make_error(Errc::refused, shown + " is outside the allowed roots (" + roots + ")");
  }
  return resolved;
}

}  // namespace baton::worker::maintenance
