#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baton/envelope.pb.h"
#include "common/amqp/transport.hpp"
#include "common/core/clock.hpp"
#include "conductor/core/command_outbox.hpp"
#include "conductor/core/worker_registry.hpp"
#include "conductor/schedule/schedule_book.hpp"
#include "conductor/schedule/schedule_store.hpp"
#include "conductor/store/conductor_store.hpp"
#include "conductor/tasks/task_definition.hpp"

namespace spdlog {
class logger;
}

namespace baton::conductor {

// A command sent by run_now.
struct TriggeredRun {
  std::string worker_id;
  std::string command_id;
};

// One (task, worker) of a schedule as the API shows it.
struct ScheduledTarget {
  std::string task;
  TaskDefinition::Kind kind = TaskDefinition::Kind::check;
  std::string worker_id;
  std::optional<TimePoint> next_run;
  std::optional<TimePoint> last_fired;
  std::string last_outcome;
};

// Sends checks and maintenance actions to workers, on their schedules and on
// request, and records what comes back. Runs on the core strand; writes go
// into the caller's batch (EventPipeline). A schedule's targets are the
// online workers its selector matches: a worker that is away is not sent
// requests that would only expire in its queue, and catches up on return
// per the schedule's `missed:` policy.
class TaskScheduler {
 public:
  using CheckListener = std::function<void(const CheckResultRecord&)>;

  TaskScheduler(ConductorStore& store, amqp::Transport& transport, WorkerRegistry& workers, const Clock& clock,
                std::map<std::string, TaskDefinition> tasks);
  ~TaskScheduler();

  // Reads the schedules' history and adds every scheduled task.
  Status load();
  // Adds or drops one worker as a target of every schedule (call when it
  // comes, goes or changes labels): O(schedules), whatever the fleet's size.
  Status refresh_worker(const WorkerRecord& worker);
  // Sends what is due and records the schedules' history.
  Status tick();

  // Requests wait until the batch that recorded them is committed (see
  // CommandOutbox); the caller of commit publishes or drops them.
  void release_outbox() { outbox_.release(); }
  void discard_outbox();

  // Sends a task to one worker, or to every online worker it targets when
  // worker_id is empty. dry_run overrides the task's own (maintenance only).
  Result<std::vector<TriggeredRun>> run_now(TaskDefinition::Kind kind, const std::string& name,
                                            const std::string& worker_id, std::optional<bool> dry_run);

  // A maintenance action the conductor decided itself (remediation), not a
  // configured task; recorded under the task name "remediation".
  Status run_action(const std::string& action, const std::map<std::string, std::string>& params,
                    const std::string& worker_id, const std::string& command_id);

  Status on_check_result(const v1::CheckResult& result);
  Status on_maintenance_result(const v1::MaintenanceResult& result);

  // Called with every new check result once it is recorded (alerting).
  void set_check_listener(CheckListener listener) { check_listener_ = std::move(listener); }
  // Called with every maintenance result (remediation follows its own runs).
  void set_maintenance_listener(std::function<void(const v1::MaintenanceResult&)> listener) {
    maintenance_listener_ = std::move(listener);
  }
  // Schedules whose targets are held (maintenance windows) do not fire.
  void set_hold(ScheduleBook::HoldPredicate hold) {
    hold_ = std::move(hold);
    book_->set_hold(hold_);
  }

  std::vector<ScheduledTarget> scheduled() const;
  const std::map<std::string, TaskDefinition>& tasks() const { return tasks_; }

 private:
  std::vector<std::string> targets_of(const TaskDefinition& task) const;
  const TaskDefinition* find(TaskDefinition::Kind kind, const std::string& name) const;
  const TaskDefinition* by_schedule(const std::string& schedule_name) const;
  // `scheduled`: a run of a schedule. Only a scheduled check may go without
  // the broker's disk (broker.persistent_messages: false), since its next
  // run stands in for it; one-off requests and maintenance never do.
  Status send(const TaskDefinition& task, const std::string& worker_id, const std::string& command_id,
              TimePoint expires_at, bool dry_run, bool scheduled);

  ConductorStore& store_;
  amqp::Transport& transport_;
  CommandOutbox outbox_{transport_};
  WorkerRegistry& workers_;
  const Clock& clock_;
  std::map<std::string, TaskDefinition> tasks_;  // by "check:<name>" / "maintenance:<name>"
  std::unique_ptr<ScheduleBook> book_;
  ScheduleBook::HoldPredicate hold_;  // kept: load() replaces the book
  ScheduleStore history_;
  CheckListener check_listener_;
  std::function<void(const v1::MaintenanceResult&)> maintenance_listener_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace baton::conductor
