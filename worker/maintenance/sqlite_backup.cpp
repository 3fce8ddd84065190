#include <filesystem>
#include <vector>

#include "common/sqlite/maintenance.hpp"
#include "worker/maintenance/actions.hpp"

namespace baton::worker::maintenance {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json paths(const std::vector<fs::path>& list) {
  json out = json::array();
  for (const auto& path : list) out.push_back(path.string());
  return out;
}

}  // namespace

MaintenanceOutcome back_up_sqlite(ActionParams& params, const ActionContext& context) {
  const fs::path database = params.path("database", context.roots);
  const fs::path dest_dir = params.path("dest_dir", context.roots);
  const auto keep = static_cast<size_t>(params.integer("keep", 1, 1000, 7));
  if (auto s = params.finish(); !s) return MaintenanceOutcome::refusal(s.error().message);
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(database, ec))) {
    return MaintenanceOutcome::failure(database.string() + " is not an existing database file");
  }
  const auto dest_status = fs::symlink_status(dest_dir, ec);
  if (fs::exists(dest_status) && !fs::is_directory(dest_status)) {
    return MaintenanceOutcome::failure(dest_dir.string() + " exists and is not a directory");
  }

  const std::string stem = database.stem().string();
  const fs::path dest = dest_dir / sqlite::backup_file_name(stem, context.clock.now());
  MaintenanceOutcome out;
  out.details = {{"database", database.string()}, {"backup", dest.string()}, {"keep", keep}};
  if (context.dry_run) {
    std::vector<fs::path> would_prune;
    if (fs::is_directory(dest_status)) {
      auto existing = sqlite::list_backups(dest_dir, stem);
      if (!existing) return MaintenanceOutcome::failure(existing.error().message);
      // The new backup counts as one of the `keep`.
      for (size_t i = 0; i + keep < existing->size() + 1; ++i) would_prune.push_back((*existing)[i]);
    }
    out.details["would_prune"] = paths(would_prune);
    out.ok = true;
    out.message = "would back up " + database.string() + " to " + dest.string();
    return out;
  }

  fs::create_directories(dest_dir, ec);
  if (ec) return MaintenanceOutcome::failure("cannot create " + dest_dir.string() + ": " + ec.message());
  sqlite::BackupOptions options;
  options.deadline = context.deadline;
  auto backup = sqlite::online_backup(database.string(), dest.string(), options);
  if (!backup) return MaintenanceOutcome::failure(backup.error().message, out.details);
  out.details.update({{"bytes", backup->bytes}, {"pages", backup->pages}, {"integrity", "ok"}});
  out.metric("backup_bytes", static_cast<double>(backup->bytes));

  auto pruned = sqlite::prune_backups(dest_dir, stem, keep);
  if (!pruned) {
    out.message = "backed up to " + dest.string() + " but pruning failed: " + pruned.error().message;
    return out;
  }
  out.details["pruned"] = paths(*pruned);
  out.metric("backups_pruned", static_cast<double>(pruned->size()));
  out.ok = true;
  out.message = "backed up " + database.string() + " to " + dest.string() + " (integrity ok)" +
                (pruned->empty() ? "" : ", pruned " + std::to_string(pruned->size()) + " older");
  return out;
}

}  // namespace baton::worker::maintenance
