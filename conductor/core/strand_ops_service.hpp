#pragma once

#include "conductor/core/alerting.hpp"
#include "conductor/core/ops_service.hpp"
#include "conductor/core/strand_call.hpp"

namespace baton::conductor {

// OpsService for the HTTP thread, over the core strand.
class StrandOpsService final : public OpsService {
 public:
  StrandOpsService(StrandCall& strand, TaskScheduler& tasks, Alerting& alerting, const Clock& clock)
      : strand_(strand), tasks_(tasks), alerting_(alerting), clock_(clock) {}

  Result<std::vector<TriggeredRun>> run_task(TaskDefinition::Kind kind, const std::string& name,
                                             const std::string& worker_id, std::optional<bool> dry_run) override;
  Result<std::vector<ScheduledTarget>> schedules() override;
  Result<std::vector<TaskDefinition>> tasks() override;
  Result<alerts::AlertRecord> acknowledge(int64_t alert_id, const std::string& author, const std::string& comment,
                                          std::optional<TimePoint> until) override;
  Result<alerts::Silence> add_silence(alerts::Silence silence) override;
  Status expire_silence(int64_t silence_id) override;
  Result<std::vector<alerts::Silence>> silences() override;
  Result<alerts::MaintenanceWindow> add_maintenance(alerts::MaintenanceWindow window) override;
  Status end_maintenance(int64_t window_id) override;
  Result<std::vector<alerts::MaintenanceWindow>> maintenance_windows() override;

 private:
  StrandCall& strand_;
  TaskScheduler& tasks_;
  Alerting& alerting_;
  const Clock& clock_;
};

}  // namespace baton::conductor
