#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "conductor/alerts/alert_types.hpp"
#include "conductor/alerts/silences.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace baton::conductor {

// What the HTTP API may ask of checks, maintenance and alerting beyond
// reading the database. Thread-safe: implementations hop onto the core strand
// and commit before answering.
class OpsService {
 public:
  virtual ~OpsService() = default;

  // Sends a configured check or maintenance action now: to one worker, or to
  // every online worker it targets when worker_id is empty. dry_run overrides
  // a maintenance task's own setting. Errc::not_found (no such task or
  // worker), Errc::unavailable (worker offline, or no target online).
  virtual Result<std::vector<TriggeredRun>> run_task(TaskDefinition::Kind kind, const std::string& name,
                                                     const std::string& worker_id, std::optional<bool> dry_run) = 0;
  virtual Result<std::vector<ScheduledTarget>> schedules() = 0;
  // The configured checks and maintenance actions.
  virtual Result<std::vector<TaskDefinition>> tasks() = 0;

  // Errc::not_found for an unknown or resolved alert.
  virtual Result<alerts::AlertRecord> acknowledge(int64_t alert_id, const std::string& author,
                                                  const std::string& comment, std::optional<TimePoint> until) = 0;
  virtual Result<alerts::Silence> add_silence(alerts::Silence silence) = 0;
  virtual Status expire_silence(int64_t silence_id) = 0;
  // The silences and windows not yet over.
  virtual Result<std::vector<alerts::Silence>> silences() = 0;
  virtual Result<alerts::MaintenanceWindow> add_maintenance(alerts::MaintenanceWindow window) = 0;
  virtual Status end_maintenance(int64_t window_id) = 0;
  virtual Result<std::vector<alerts::MaintenanceWindow>> maintenance_windows() = 0;
};

}  // namespace baton::conductor
