#pragma once

#include <chrono>

#include "common/core/clock.hpp"
#include "worker/maintenance/action_params.hpp"
#include "worker/maintenance/allowed_roots.hpp"
#include "worker/maintenance/maintenance_config.hpp"
#include "worker/maintenance/maintenance_types.hpp"

namespace baton::worker::maintenance {

// What every action gets besides its parameters. Each action reads and
// checks all its parameters first and touches nothing when finish() fails.
struct ActionContext {
  const MaintenanceConfig& config;
  const AllowedRoots& roots;
  const Clock& clock;  // "now" for ages and dated names
  std::chrono::steady_clock::time_point deadline;
  bool dry_run = false;

  bool past_deadline() const { return std::chrono::steady_clock::now() >= deadline; }
  std::chrono::milliseconds time_left() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  }
};

// rotate: path, max_size=100MB, keep=5, compress=true, force=false, copytruncate=false
MaintenanceOutcome rotate_log(ActionParams& params, const ActionContext& context);
// cleanup: dir, older_than, pattern=*, recursive=false, remove_empty_dirs=false
MaintenanceOutcome clean_up_files(ActionParams& params, const ActionContext& context);
// sqlite_maintenance: database, operations (checkpoint,vacuum,analyze,reindex,quick_check,integrity,retention)
MaintenanceOutcome maintain_sqlite(ActionParams& params, const ActionContext& context);
// sqlite_backup: database, dest_dir, keep=7
MaintenanceOutcome back_up_sqlite(ActionParams& params, const ActionContext& context);
// restart_service: service
MaintenanceOutcome restart_service(ActionParams& params, const ActionContext& context);

}  // namespace baton::worker::maintenance
