#include <fnmatch.h>

#include <filesystem>
#include <vector>

#include "worker/maintenance/actions.hpp"

namespace baton::worker::maintenance {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Past this many, details list only the first ones; counts stay exact.
constexpr size_t kMaxListed = 1000;

struct Selection {
  struct Entry {
    fs::path path;
    uint64_t bytes = 0;
    bool directory = false;
  };
  std::vector<Entry> entries;  // children before their directory
  uint64_t bytes = 0;
  size_t files = 0;
  size_t skipped_symlinks = 0;
  std::vector<std::string> unreadable;  // directories that could not be listed
  bool timed_out = false;
};

struct Criteria {
  std::string pattern;
  TimePoint cutoff;
  bool recursive = false;
  bool remove_empty_dirs = false;
};

TimePoint modified(const fs::directory_entry& entry, std::error_code& ec) {
  const auto file_time = entry.last_write_time(ec);
  return std::chrono::time_point_cast<TimePoint::duration>(std::chrono::file_clock::to_sys(file_time));
}

// Returns true when everything in `dir` was selected, so the directory
// itself would be left empty. Symlinks are never followed nor selected, so
// the walk cannot leave the root through one.
bool select(const fs::path& dir, const Criteria& criteria, const ActionContext& context, Selection& out) {
  bool all_selected = true;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (context.past_deadline()) {
      out.timed_out = true;
      return false;
    }
    const fs::directory_entry& entry = *it;
    std::error_code entry_ec;
    const auto status = entry.symlink_status(entry_ec);
    if (fs::is_symlink(status)) {
      ++out.skipped_symlinks;
      all_selected = false;
    } else if (fs::is_directory(status)) {
      const bool emptied = criteria.recursive && select(entry.path(), criteria, context, out);
      const bool old = modified(entry, entry_ec) < criteria.cutoff && !entry_ec;
      if (emptied && old && criteria.remove_empty_dirs) out.entries.push_back({entry.path(), 0, true});
      else all_selected = false;
    } else if (fs::is_regular_file(status)) {
      const std::string name = entry.path().filename().string();
      const bool matches = ::fnmatch(criteria.pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
      const TimePoint mtime = modified(entry, entry_ec);
      if (matches && !entry_ec && mtime < criteria.cutoff) {
        const uint64_t bytes = entry.file_size(entry_ec);
        out.entries.push_back({entry.path(), entry_ec ? 0 : bytes, false});
        out.bytes += entry_ec ? 0 : bytes;
        ++out.files;
      } else {
        all_selected = false;
      }
    } else {
      all_selected = false;
    }
  }
  if (ec) out.unreadable.push_back(dir.string() + ": " + ec.message());
  return all_selected && !ec;
}

json listing(const Selection& selection) {
  json files = json::array();
  for (size_t i = 0; i < selection.entries.size() && i < kMaxListed; ++i) {
    const auto& entry = selection.entries[i];
    files.push_back({{"path", entry.path.string()}, {"bytes", entry.bytes}, {"directory", entry.directory}});
  }
  return files;
}

}  // namespace

MaintenanceOutcome clean_up_files(ActionParams& params, const ActionContext& context) {
  const fs::path dir = params.path("dir", context.roots);
  Criteria criteria;
  criteria.pattern = params.text("pattern").value_or("*");
  const auto older_than = params.duration("older_than", std::nullopt);
  criteria.recursive = params.boolean("recursive", false);
  criteria.remove_empty_dirs = params.boolean("remove_empty_dirs", false);
  if (auto s = params.finish(); !s) return MaintenanceOutcome::refusal(s.error().message);
  if (criteria.pattern.empty() || criteria.pattern.find('/') != std::string::npos) {
    return MaintenanceOutcome::refusal("parameter pattern: a glob on file names, without '/'");
  }
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) {
    return MaintenanceOutcome::failure(dir.string() + " is not a directory");
  }
  criteria.cutoff = context.clock.now() - older_than;

  Selection selection;
  select(dir, criteria, context, selection);
  MaintenanceOutcome out;
  out.details = {{"dir", dir.string()},
                 {"pattern", criteria.pattern},
                 {"files", listing(selection)},
                 {"listed_all", selection.entries.size() <= kMaxListed},
                 {"file_count", selection.files},
                 {"bytes", selection.bytes},
                 {"skipped_symlinks", selection.skipped_symlinks},
                 {"unreadable", selection.unreadable}};
  if (selection.timed_out) {
    out.message = "timed out while listing " + dir.string() + "; nothing was removed";
    return out;
  }
  const std::string summary = std::to_string(selection.files) + " files, " + std::to_string(selection.bytes) + " bytes";
  if (context.dry_run) {
    out.ok = true;
    out.message = "would remove " + summary + " from " + dir.string();
    return out;
  }

  size_t files_removed = 0;
  uint64_t bytes_freed = 0;
  json failed = json::array();
  for (const auto& entry : selection.entries) {
    if (context.past_deadline()) {
      failed.push_back({{"path", entry.path.string()}, {"error", "timeout"}});
      continue;
    }
    std::error_code remove_ec;
    fs::remove(entry.path, remove_ec);
    if (remove_ec) {
      failed.push_back({{"path", entry.path.string()}, {"error", remove_ec.message()}});
    } else if (!entry.directory) {
      ++files_removed;
      bytes_freed += entry.bytes;
    }
  }
  out.details["failed"] = failed;
  out.metric("files_removed", static_cast<double>(files_removed));
  out.metric("bytes_freed", static_cast<double>(bytes_freed));
  out.ok = failed.empty();
  out.message = (out.ok ? "removed " + summary : "removed " + std::to_string(files_removed) + " of " + summary + "; " +
                                                     std::to_string(failed.size()) + " could not be removed") +
                " from " + dir.string();
  return out;
}

}  // namespace baton::worker::maintenance
