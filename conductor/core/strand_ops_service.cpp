#include "conductor/core/strand_ops_service.hpp"

#include <algorithm>

namespace baton::conductor {

Result<std::vector<TriggeredRun>> StrandOpsService::run_task(TaskDefinition::Kind kind, const std::string& name,
                                                             const std::string& worker_id,
                                                             std::optional<bool> dry_run) {
  return strand_.operator()<std::vector<TriggeredRun>>(
      [this, kind, name, worker_id, dry_run] { return tasks_.run_now(kind, name, worker_id, dry_run); });
}

Result<std::vector<ScheduledTarget>> StrandOpsService::schedules() {
  return strand_.operator()<std::vector<ScheduledTarget>>(
      [this]() -> Result<std::vector<ScheduledTarget>> { return tasks_.scheduled(); });
}

Result<std::vector<TaskDefinition>> StrandOpsService::tasks() {
  return strand_.operator()<std::vector<TaskDefinition>>([this]() -> Result<std::vector<TaskDefinition>> {
    std::vector<TaskDefinition> out;
    for (const auto& [_, task] : tasks_.tasks()) out.push_back(task);
    return out;
  });
}

Result<alerts::AlertRecord> StrandOpsService::acknowledge(int64_t alert_id, const std::string& author,
                                                          const std::string& comment, std::optional<TimePoint> until) {
  return strand_.operator()<alerts::AlertRecord>(
      [this, alert_id, author, comment, until] { return alerting_.acknowledge(alert_id, author, comment, until); });
}

Result<alerts::Silence> StrandOpsService::add_silence(alerts::Silence silence) {
  return strand_.operator()<alerts::Silence>([this, silence] { return alerting_.add_silence(silence); });
}

Status StrandOpsService::expire_silence(int64_t silence_id) {
  return strand_([this, silence_id] { return alerting_.expire_silence(silence_id); });
}

Result<std::vector<alerts::Silence>> StrandOpsService::silences() {
  return strand_.operator()<std::vector<alerts::Silence>>([this]() -> Result<std::vector<alerts::Silence>> {
    std::vector<alerts::Silence> out;
    const TimePoint now = clock_.now();
    for (const auto& s : alerting_.engine().silences())
      if (s.ends_at > now) out.push_back(s);
    return out;
  });
}

Result<alerts::MaintenanceWindow> StrandOpsService::add_maintenance(alerts::MaintenanceWindow window) {
  return strand_.operator()<alerts::MaintenanceWindow>([this, window] { return alerting_.add_maintenance(window); });
}

Status StrandOpsService::end_maintenance(int64_t window_id) {
  return strand_([this, window_id] { return alerting_.end_maintenance(window_id); });
}

Result<std::vector<alerts::MaintenanceWindow>> StrandOpsService::maintenance_windows() {
  return strand_.operator()<std::vector<alerts::MaintenanceWindow>>(
      [this]() -> Result<std::vector<alerts::MaintenanceWindow>> {
        std::vector<alerts::MaintenanceWindow> out;
        const TimePoint now = clock_.now();
        for (const auto& w : alerting_.engine().maintenance_windows())
          if (w.ends_at > now) out.push_back(w);
        return out;
      });
}

}  // namespace baton::conductor
