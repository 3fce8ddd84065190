#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baton/envelope.pb.h"
#include "common/core/clock.hpp"
#include "conductor/alerts/alert_engine.hpp"
#include "conductor/alerts/alert_store.hpp"
#include "conductor/alerts/notification_sender.hpp"
#include "conductor/alerts/remediation_policy.hpp"
#include "conductor/core/case_scheduler.hpp"
#include "conductor/core/conductor_metrics.hpp"
#include "conductor/core/database_keeper.hpp"
#include "conductor/core/worker_registry.hpp"
#include "conductor/store/conductor_store.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace spdlog {
class logger;
}

namespace baton::conductor {

// Turns check results, case problems and workers going away into alerts,
// escalations, notifications and remediation runs (conductor/alerts/ holds
// the state machines). Runs on the core strand; writes go into the open
// batch and notifications leave only once that batch has committed.
class Alerting {
 public:
  using Post = std::function<void(std::function<void()>)>;
  // Opens a batch, runs the change, commits; the commit's status.
  using InBatch = DatabaseKeeper::InBatch;

  Alerting(ConductorStore& store, const Clock& clock, alerts::AlertsConfig config, TaskScheduler& tasks,
           WorkerRegistry& workers, Post post, InBatch in_batch);
  ~Alerting();

  // Restores open alerts, silences, windows and recent remediation runs, and
  // starts the notification thread.
  Status start();
  // Finishes the notifications in hand (one last attempt each).
  void stop();

  void on_check(const CheckResultRecord& result);
  void on_case(const CaseRecord& record, CaseScheduler::Problem problem, const std::string& message);
  void on_worker(const WorkerRecord& worker);
  void on_maintenance_result(const v1::MaintenanceResult& result);
  // Escalations, ack expiry, silences ending, remediation verifications.
  void tick();
  // EventPipeline's commit listener.
  void after_commit(bool committed);

  // Operator requests (on the strand; the caller commits).
  Result<alerts::AlertRecord> acknowledge(int64_t alert_id, const std::string& author, const std::string& comment,
                                          std::optional<TimePoint> until);
  Result<alerts::Silence> add_silence(alerts::Silence silence);
  Status expire_silence(int64_t silence_id);
  Result<alerts::MaintenanceWindow> add_maintenance(alerts::MaintenanceWindow window);
  Status end_maintenance(int64_t window_id);

  // Counts notifications, escalations and remediations, and tells the live
  // dashboard (event name, JSON) about every alert that changed.
  using EventSink = std::function<void(const std::string& event, const std::string& json)>;
  void set_observers(ConductorMetrics* metrics, EventSink events) {
    metrics_ = metrics;
    events_ = std::move(events);
  }

  // A write that failed leaves the engine's memory ahead of the database
  // (an alert it holds open that was never saved): the conductor must stop.
  void set_database_failure_handler(std::function<void(const Error&)> handler) {
    database_failure_ = std::move(handler);
  }

  // Whether a maintenance window holds this worker's schedules now.
  bool holds(const std::string& worker_id, TimePoint now) const;
  const alerts::AlertEngine& engine() const { return engine_; }

 private:
  // Saves what changed and queues its notifications; an error means nothing
  // of it will be sent.
  Status apply(const alerts::EngineOutput& output);
  void save_run(const alerts::RemediationRun& run);
  void escalate(const std::string& key, const std::string& reason);
  void start_remediation(alerts::RemediationRun run);
  void record_outcome(const alerts::NotificationAttempt& attempt);

  ConductorStore& store_;
  const Clock& clock_;
  alerts::AlertsConfig config_;
  TaskScheduler& tasks_;
  WorkerRegistry& workers_;
  Post post_;
  InBatch in_batch_;
  alerts::AlertEngine engine_;
  alerts::AlertStore alert_store_;
  alerts::RemediationPolicy remediation_;
  std::unique_ptr<alerts::NotificationSender> sender_;
  std::vector<alerts::NotificationMessage> unsent_;  // decided in the open batch
  ConductorMetrics* metrics_ = nullptr;
  EventSink events_;
  std::function<void(const Error&)> database_failure_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The command id of a remediation's action: the result finds its run by it.
std::string remediation_command_id(int64_t run_id, const std::string& worker_id);
std::optional<int64_t> remediation_run_of(const std::string& command_id);

}  // namespace baton::conductor
