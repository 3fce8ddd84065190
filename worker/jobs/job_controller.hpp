#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "baton/envelope.pb.h"
#include "common/core/clock.hpp"
#include "worker/actions/action_registry.hpp"
#include "worker/jobs/job_store.hpp"
#include "worker/jobs/log_follower.hpp"
#include "worker/jobs/supervisor.hpp"

namespace baton::worker {

// Called from the core strand and from the controller's watcher thread, so it
// must be thread-safe. It must not call back into the JobController.
using EmitEvent = std::function<void(v1::Envelope)>;

struct JobControllerOptions {
  std::string worker_id;
  unsigned slots = 1;
  std::string state_dir = "var/worker";
  std::chrono::milliseconds kill_grace{5000};
  unsigned output_tail_lines = 20;
  std::string supervisor_program;  // empty: default_supervisor_program()
};

// Runs case steps: checks a RunStep against the configured actions, starts
// it under a supervisor (see supervisor.hpp), follows its log for progress,
// and reports its end. Each (case_id, step_index, attempt) starts at most
// once, across redeliveries and worker restarts: jobs.db has a row per
// triple, and a repeated RunStep only repeats the StepStarted or
// StepFinished already sent.
//
// The public calls return quickly (starting a supervisor and local SQLite
// writes at most); one watcher thread reads the supervisors' answers, then
// reports StepStarted, reads the ends spares tell on their sockets, and
// polls the running jobs' logs and the other jobs' exit files.
class JobController {
 public:
  JobController(JobControllerOptions options, ActionRegistry actions, const Clock& clock, EmitEvent emit);
  // Does not stop the jobs: they outlive the worker by design, and the next
  // start() adopts them again.
  ~JobController();
  JobController(const JobController&) = delete;
  JobController& operator=(const JobController&) = delete;

  // Opens (and migrates) <state_dir>/jobs.db and adopts the jobs a previous
  // worker process left running.
  Status start();

  void run_step(const v1::RunStep& command);
  void cancel_step(const v1::CancelStep& command);
  v1::RunningSteps running() const;
  unsigned free_slots() const;
  size_t running_count() const;
  // true once no job runs; false when the timeout passes first.
  bool wait_idle(std::chrono::milliseconds timeout);
  // Ends every wait_idle() now (a forced stop while draining).
  void stop_waiting();

 private:
  struct Job {
    Job(JobRecord r, LogFollower f) : record(std::move(r)), follower(std::move(f)) {}
    JobRecord record;
    LogFollower follower;
    std::chrono::steady_clock::time_point progress_sent_at{};
    std::optional<ProgressLine> pending_progress;
    std::optional<StartingSupervisor> starting;  // set until the supervisor says whether the job runs
    std::chrono::steady_clock::time_point cancel_sent_at{};  // see repeat_cancel_locked()
    // A spare's socket, kept while it runs the job; it joins idle_ after.
    std::optional<StartingSupervisor> reusable;
  };

  void watch_loop();
  void wake();
  // Reads a starting job's answer: true when it runs (StepStarted sent),
  // false when it could not start (StepRejected sent; drop the job).
  bool confirm_start_locked(Job& job);
  void refill_spare_locked();
  // true when the job has ended and was reported.
  bool poll_job_locked(Job& job);
  // Asks the supervisor to stop the job (record.cancel_reason says why).
  void send_cancel_locked(Job& job);
  void repeat_cancel_locked(Job& job);
  void read_output_locked(Job& job, bool final);
  // `told`: the end came on the supervisor's socket, which is answered here.
  void finish_locked(Job& job, const std::optional<ExitRecord>& exit, const SocketExit* told = nullptr);
  void describe_start(const JobRecord& record, v1::StepStarted& started) const;
  void emit_started(const JobRecord& record);
  void emit_finished(const JobRecord& record);
  void reject(const v1::RunStep& command, const std::string& reason);
  void reject(const JobKey& key, const std::string& action, const std::string& reason);
  v1::StepRef step_ref(const JobKey& key) const;
  unsigned used_slots_locked() const;

  JobControllerOptions options_;
  ActionRegistry actions_;
  const Clock& clock_;
  EmitEvent emit_;

  mutable std::mutex mu_;
  std::condition_variable changed_;  // job set changed, or stopping
  std::optional<JobStore> store_;
  std::map<JobKey, Job> running_;
  bool stopping_ = false;
  bool stop_waiting_ = false;
  // One thread waits for starting jobs' answers, spares' reports of their
  // jobs' ends, exit files (inotify), a wake-up from the other calls, or
  // kWatchInterval, then looks at every job.
  std::thread watcher_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::vector<std::string> spent_exit_files_;  // of reported jobs; the watcher removes them
  std::vector<pid_t> unreaped_;  // supervisors whose job ended; collected by the watcher
  // Supervisors waiting for a job (`baton-supervise --spare`): one started
  // ahead of the next job when none is left, and every one whose job ended,
  // up to one per slot. Empty when none could be started; then a job starts
  // its supervisor directly.
  std::deque<StartingSupervisor> idle_;
};

}  // namespace baton::worker
