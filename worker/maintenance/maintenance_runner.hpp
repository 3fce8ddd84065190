#pragma once

#include <memory>

#include "common/core/clock.hpp"
#include "worker/maintenance/allowed_roots.hpp"
#include "worker/maintenance/maintenance_config.hpp"
#include "worker/maintenance/maintenance_types.hpp"

namespace baton::worker::maintenance {

// Runs one built-in maintenance action, confined to the configured roots.
// Blocking (it may spawn gzip or VACUUM a large file): call it off the I/O
// threads. Safe to call from several threads: an action whose target (the
// file, directory, database or service) is busy with another is refused, so
// a redelivered rotate cannot interleave with the first.
class MaintenanceRunner {
 public:
  // `clock` gives "now" for file ages and backup names and must outlive the runner.
  explicit MaintenanceRunner(MaintenanceConfig config, const Clock& clock = system_clock());
  MaintenanceRunner(MaintenanceRunner&&) noexcept;
  ~MaintenanceRunner();

  // Never throws: an exception inside an action becomes ok=false.
  MaintenanceOutcome run(const MaintenanceRequest& request) noexcept;

  const MaintenanceConfig& config() const { return config_; }

  static const Clock& system_clock();

 private:
  struct BusyTargets;

  MaintenanceOutcome dispatch(const MaintenanceRequest& request);

  MaintenanceConfig config_;
  AllowedRoots roots_;
  const Clock& clock_;
  std::unique_ptr<BusyTargets> busy_;
};

}  // namespace baton::worker::maintenance
