#pragma once

#include "common/core/clock.hpp"
#include "worker/maintenance/allowed_roots.hpp"
#include "worker/maintenance/maintenance_config.hpp"
#include "worker/maintenance/maintenance_types.hpp"

namespace baton::worker::maintenance {

// Runs one built-in maintenance action, confined to the configured roots.
// Blocking (it may spawn gzip or VACUUM a large file): call it off the I/O
// threads. Safe to call from several threads; two actions on the same file
// at once are not coordinated here.
class MaintenanceRunner {
 public:
  // `clock` gives "now" for file ages and backup names and must outlive the runner.
  explicit MaintenanceRunner(MaintenanceConfig config, const Clock& clock = system_clock());

  // Never throws: an exception inside an action becomes ok=false.
  MaintenanceOutcome run(const MaintenanceRequest& request) noexcept;

  const MaintenanceConfig& config() const { return config_; }

  static const Clock& system_clock();

 private:
  MaintenanceOutcome dispatch(const MaintenanceRequest& request);

  MaintenanceConfig config_;
  AllowedRoots roots_;
  const Clock& clock_;
};

}  // namespace baton::worker::maintenance
