#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "baton/envelope.pb.h"
#include "common/amqp/transport.hpp"
#include "common/core/clock.hpp"
#include "conductor/config.hpp"
#include "conductor/core/command_outbox.hpp"
#include "conductor/core/case_service.hpp"
#include "conductor/core/worker_registry.hpp"
#include "conductor/store/conductor_store.hpp"

namespace spdlog {
class logger;
}

namespace baton::conductor {

// Owns every case that has not ended: places steps on workers with free
// slots and GPUs, follows the workers' step events, retries, cancels, and
// recovers from lost workers and from its own restart. Runs on the core
// strand; every change goes through the store inside the caller's batch (the
// caller commits, see EventPipeline), and commands to workers are published
// only from here.
class CaseScheduler {
 public:
  // Runs a reaction on the core strand, in a batch of its own (publish
  // confirmations arrive on the transport's I/O thread). The reaction writes,
  // so its caller must treat a failed Status as a failed event would be.
  using Reaction = std::function<Status()>;
  using Post = std::function<void(Reaction)>;
  // For alerting: a case FAILED or was flagged stuck, or (recovered) it
  // completed or was cancelled, so an alert about it can resolve.
  enum class Problem { failed, stuck, recovered };
  using ProblemListener = std::function<void(const CaseRecord& record, Problem problem, const std::string& message)>;

  CaseScheduler(ConductorStore& store, amqp::Transport& transport, WorkerRegistry& workers, const Clock& clock,
                const std::map<std::string, WorkflowDefinition>& workflows, CasesConfig config, Post post);
  ~CaseScheduler();

  // Loads the unfinished cases and sends every in-flight step again: workers
  // run a (case, step, attempt) once, so this only recovers commands or
  // events lost around a crash.
  Status load();

  Result<SubmitOutcome> submit(const v1::SubmitCase& request);
  Status cancel(const std::string& case_id, const std::string& reason);
  Status retry(const std::string& case_id);

  Status on_step_started(const v1::StepStarted& event);
  Status on_step_progress(const v1::StepProgress& event);
  Status on_step_finished(const v1::StepFinished& event);
  Status on_step_rejected(const v1::StepRejected& event);
  Status on_running_steps(const v1::RunningSteps& event);
  Status on_worker_status(const WorkerRecord& worker);
  // A worker (re)started: ask what it still runs (answered by RunningSteps).
  Status on_worker_registered(const std::string& worker_id);

  // Notes which running steps the worker still lists (the job heartbeat).
  Status on_job_heartbeat(const v1::WorkerHeartbeat& beat);

  // Places what can be placed; flags steps that overran timeout + grace, or
  // whose online worker stopped listing them for job_heartbeat_timeout.
  Status tick();
  // The conductor could not hear job heartbeats before `until` (see Hearing).
  void excuse_silence_until(TimePoint until) { heard_since_ = std::max(heard_since_, until); }

  // Commands wait here until the batch that decided them is committed: a
  // RunStep must never be out while the database could still roll back the
  // attempt it names. The caller of commit publishes or discards them.
  void release_outbox();
  void discard_outbox();

  void set_problem_listener(ProblemListener listener) { problem_listener_ = std::move(listener); }
  // Every change of a case (status, step, progress), for the live dashboard.
  void set_change_listener(std::function<void(const CaseRecord&)> listener) { change_listener_ = std::move(listener); }
  // A job start was recorded; `with_end`: its StepFinished reported it.
  void set_start_listener(std::function<void(bool with_end)> listener) { start_listener_ = std::move(listener); }
  // Every step result applied: its outcome (SUCCEEDED…) and run time, for metrics.
  void set_step_listener(std::function<void(const std::string& outcome, std::chrono::milliseconds duration)> listener) {
    step_listener_ = std::move(listener);
  }

  size_t active_count() const { return active_.size(); }
  const CaseRecord* find_active(const std::string& id) const;

 private:
  struct Active {
    CaseRecord record;
    std::optional<StepAttemptRecord> attempt;  // the current attempt while one is in flight
    TimePoint job_seen{};  // last heartbeat of its worker that listed the attempt
  };
  struct Usage {
    unsigned slots = 0;
    std::set<unsigned> gpus;
  };

  // Placement order: higher priority first, then submission order.
  struct WaitKey {
    int priority;
    int64_t seq;
    bool operator<(const WaitKey& o) const { return priority != o.priority ? priority > o.priority : seq < o.seq; }
  };
  static WaitKey wait_key(const Active& a) { return {a.record.priority, a.record.seq}; }
  static bool waits(const Active& a) {
    return (a.record.status == CaseStatus::queued || a.record.status == CaseStatus::processing) && !a.attempt;
  }
  // Adds the case to waiting_ when it waits for a worker.
  void note_waiting(Active& active);

  std::optional<std::string> stuck_reason(const Active& active, TimePoint now) const;
  Status place_waiting();
  // true when the case was placed.
  Result<bool> try_place(Active& active);
  // Records the new status and its history row, dated `at` (default now).
  Status transition(Active& active, CaseStatus status, std::string message, std::optional<TimePoint> at = {});
  Status save(Active& active);
  // The attempt's job runs (since `at`): EXECUTING, once. `with_end`: the
  // start came with the StepFinished.
  Status start_attempt(Active& active, const v1::StepStarted& event, TimePoint at, bool with_end);
  Status finish_attempt(Active& active, AttemptStatus status, const std::string& message);
  Status after_failure(Active& active, const std::string& why);
  Status end_case(const std::string& id);
  void send(const std::string& worker_id, v1::Envelope command, bool react_if_undeliverable,
            const std::string& case_id = {}, unsigned step = 0, unsigned attempt = 0);
  void send_run_step(const Active& active);
  void send_cancel(const std::string& worker_id, const v1::StepRef& ref, const std::string& reason);
  // The active case an event is about, or nullptr when it is stale (another
  // attempt, or a case that ended); a stale running step is told to stop.
  Active* current(const v1::StepRef& ref, bool cancel_if_stale);
  const WorkflowDefinition* workflow(const CaseRecord& record) const;
  std::string describe_step(const Active& active) const;

  ConductorStore& store_;
  amqp::Transport& transport_;
  WorkerRegistry& workers_;
  const Clock& clock_;
  const std::map<std::string, WorkflowDefinition>& workflows_;
  CasesConfig config_;
  Post post_;
  std::map<std::string, Active> active_;
  // Every active case that waits for a worker, in placement order, and
  // possibly some that no longer do (dropped when place_waiting meets them),
  // so a long queue costs nothing per event once capacity runs out.
  std::map<WaitKey, Active*> waiting_;
  TimePoint heard_since_{};  // job heartbeats are counted from here (a restart, a broker outage)
  ProblemListener problem_listener_;
  std::function<void(const CaseRecord&)> change_listener_;
  std::function<void(const std::string&, std::chrono::milliseconds)> step_listener_;
  std::function<void(bool)> start_listener_;
  std::map<std::string, Usage> usage_;
  CommandOutbox outbox_{transport_};
  std::shared_ptr<spdlog::logger> log_;
  // Cleared on destruction so late publish callbacks don't touch a dead scheduler.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace baton::conductor
