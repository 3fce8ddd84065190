#include "worker/jobs/job_controller.hpp"

#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <system_error>
#include <vector>

#include "common/config/yaml_reader.hpp"
#include "common/log/logging.hpp"
#include "worker/jobs/supervise_protocol.hpp"

extern char** environ;

namespace baton::worker {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kWatchInterval = 100ms;
constexpr auto kProgressInterval = 200ms;  // at most ~5 StepProgress per second per job
constexpr auto kFinishedRetention = std::chrono::hours(24 * 7);
constexpr const char* kLostMessage = "job lost: its supervisor died without recording an exit status";

// case_id becomes a directory name under logs/, so it must not reach outside it.
bool safe_path_part(const std::string& text) {
  if (text.empty() || text.size() > 128 || text == "." || text == "..") return false;
  for (char c : text) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describe_exit(const ExitRecord& exit) {
  if (exit.signal != 0) return "killed by " + signal_name(exit.signal);
  return "exit " + std::to_string(exit.exit_code);
}

std::map<std::string, std::string> worker_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view kv(*entry);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

JobKey key_of(const std::string& case_id, uint32_t step, uint32_t attempt) { return JobKey{case_id, step, attempt}; }

// Exit files of jobs already reported, left by a worker that died before it
// removed them (and their half-written .tmp files). Only the adopted jobs'
// files are still wanted. (A supervisor whose report a dead worker recorded
// but did not answer may write its file after this sweep; it is harmless,
// named for its attempt, and goes at the next start.)
void sweep_stray_exit_files(const fs::path& jobs_dir, const std::vector<JobRecord>& adopted) {
  // By name: the state_dir may be spelled differently than when a job began.
  std::set<std::string> wanted;
  for (const auto& record : adopted) {
    const std::string name = fs::path(record.exit_path).filename().string();
    wanted.insert(name);
    wanted.insert(name + ".tmp");
  }
  std::error_code ec;
  size_t removed = 0;
  for (fs::directory_iterator it(jobs_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!(name.ends_with(".exit") || name.ends_with(".exit.tmp")) || wanted.count(name)) continue;
    std::error_code removing;
    if (fs::remove(it->path(), removing)) ++removed;
  }
  if (ec) log::logger("jobs")->warn("sweeping {}: {}", jobs_dir.string(), ec.message());
  if (removed > 0) log::logger("jobs")->info("{} exit files of jobs already reported removed", removed);
}

}  // namespace

JobController::JobController(JobControllerOptions options, ActionRegistry actions, const Clock& clock, EmitEvent emit)
    : options_(std::move(options)), actions_(std::move(actions)), clock_(clock), emit_(std::move(emit)) {}

JobController::~JobController() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  wake();
  if (watcher_.joinable()) watcher_.join();
  retire_spares(idle_);
  std::error_code ec;
  for (const auto& file : spent_exit_files_) fs::remove(file, ec);
  for (int fd : {inotify_fd_, wake_fd_})
    if (fd >= 0) ::close(fd);
}

void JobController::wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

Status JobController::start() {
  if (options_.supervisor_program.empty()) options_.supervisor_program = default_supervisor_program();
  if (auto st = check_supervisor_program(options_.supervisor_program); !st) return st;
  const fs::path dir(options_.state_dir);
  std::error_code ec;
  for (const fs::path& sub : {dir / "logs", dir / "jobs"}) {
    fs::create_directories(sub, ec);
    if (ec) return make_error(Errc::io_error, "cannot create " + sub.string() + ": " + ec.message());
  }
  auto store = JobStore::open((dir / "jobs.db").string());
  if (!store) return store.error();
  if (auto st = store->prune_finished_before(to_unix_ms(clock_.now() - kFinishedRetention)); !st) return st;
  auto left = store->unfinished();
  if (!left) return left.error();

  auto log = log::logger("jobs");
  std::lock_guard lock(mu_);
  store_.emplace(std::move(store).value());
  sweep_stray_exit_files(dir / "jobs", *left);
  for (auto& record : *left) {
    log->info("adopting step {} (supervisor pid {}, job pid {})", record.key.text(), record.supervisor_pid,
              record.job_pid);
    // Lines written while no worker watched are history; the output tail still has them.
    running_.emplace(record.key, Job(record, LogFollower::at_end(record.log_path)));
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return make_error(Errc::io_error, std::string("eventfd: ") + strerror(errno));
  // A job's end is seen when its supervisor writes the exit file, not at the
  // next poll: case throughput and latency depend on it. (A spare of ours
  // tells it on its socket, which the watcher polls.)
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0 || ::inotify_add_watch(inotify_fd_, (dir / "jobs").c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    log->warn("cannot watch {} ({}); job ends are noticed by polling", (dir / "jobs").string(), strerror(errno));
  }
  refill_spare_locked();
  watcher_ = std::thread([this] { watch_loop(); });
  return {};
}

v1::StepRef JobController::step_ref(const JobKey& key) const {
  v1::StepRef ref;
  ref.set_case_id(key.case_id);
  ref.set_step_index(key.step_index);
  ref.set_attempt(key.attempt);
  ref.set_worker_id(options_.worker_id);
  return ref;
}

unsigned JobController::used_slots_locked() const {
  unsigned used = 0;
  for (const auto& [key, job] : running_) used += job.record.slots;
  return used;
}

void JobController::reject(const v1::RunStep& command, const std::string& reason) {
  reject(key_of(command.case_id(), command.step_index(), command.attempt()), command.action(), reason);
}

void JobController::reject(const JobKey& key, const std::string& action, const std::string& reason) {
  log::logger("jobs")->warn("refusing step {} ({}): {}", key.text(), action, reason);
  v1::Envelope envelope;
  auto* rejected = envelope.mutable_step_rejected();
  *rejected->mutable_step() = step_ref(key);
  rejected->set_reason(reason);
  emit_(std::move(envelope));
}

void JobController::describe_start(const JobRecord& record, v1::StepStarted& started) const {
  *started.mutable_step() = step_ref(record.key);
  started.set_pid(static_cast<uint32_t>(record.job_pid));
  started.set_log_path(record.log_path);
}

void JobController::emit_started(const JobRecord& record) {
  v1::Envelope envelope;
  envelope.set_message_id(record.key.text() + "/started");
  describe_start(record, *envelope.mutable_step_started());
  emit_(std::move(envelope));
}

void JobController::emit_finished(const JobRecord& record) {
  v1::Envelope envelope;
  envelope.set_message_id(record.key.text() + "/finished");
  auto* finished = envelope.mutable_step_finished();
  *finished->mutable_step() = step_ref(record.key);
  finished->set_outcome(static_cast<v1::StepFinished::Outcome>(record.outcome));
  finished->set_exit_code(record.exit_code);
  finished->set_signal(record.signal);
  finished->set_output_tail(record.output_tail);
  finished->set_message(record.message);
  finished->set_duration_ms(static_cast<uint64_t>(record.duration_ms));
  // Said again, so the conductor can take the start from this alone.
  if (record.job_pid != 0) describe_start(record, *finished->mutable_started());
  emit_(std::move(envelope));
}

void JobController::run_step(const v1::RunStep& command) {
  std::lock_guard lock(mu_);
  const JobKey key = key_of(command.case_id(), command.step_index(), command.attempt());
  if (!store_) return reject(command, "the worker's job store is not open");
  if (!safe_path_part(command.case_id())) {
    return reject(command, "invalid case id \"" + command.case_id() + "\": expected 1 to 128 of A-Z a-z 0-9 _ - .");
  }

  if (auto it = running_.find(key); it != running_.end() && it->second.starting) {
    log::logger("jobs")->info("step {} is being started; its StepStarted follows", key.text());
    return;
  }
  auto existing = store_->find(key);
  if (!existing) return reject(command, "job store: " + existing.error().message);
  if (*existing) {
    // A redelivery: say again what happened, never start it twice.
    log::logger("jobs")->info("step {} was already {}; repeating its report", key.text(),
                              (*existing)->state == JobRecord::State::finished ? "finished" : "started");
    if ((*existing)->state == JobRecord::State::finished) emit_finished(**existing);
    else emit_started(**existing);
    return;
  }

  auto prepared = actions_.prepare(command);
  if (!prepared) return reject(command, prepared.error().message);

  const unsigned needed = std::max(1u, command.slots());
  const unsigned used = used_slots_locked();
  if (used + needed > options_.slots) {
    return reject(command, "no free slot (" + std::to_string(used) + " of " + std::to_string(options_.slots) +
                               " in use" + (needed > 1 ? ", " + std::to_string(needed) + " needed" : "") + ")");
  }

  const fs::path dir(options_.state_dir);
  const fs::path log_dir = dir / "logs" / command.case_id();
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) return reject(command, "cannot create " + log_dir.string() + ": " + ec.message());

  JobRecord record;
  record.key = key;
  record.action = command.action();
  record.slots = needed;
  record.log_path = (log_dir / (std::to_string(key.step_index) + "-" + std::to_string(key.attempt) + ".log")).string();
  record.exit_path = (dir / "jobs" /
                      (key.case_id + "-" + std::to_string(key.step_index) + "-" + std::to_string(key.attempt) + ".exit"))
                         .string();
  record.started_at_ms = to_unix_ms(clock_.now());
  record.timeout_ms = prepared->timeout.count();
  // A leftover from a database that was lost must not pass for this run's end.
  fs::remove(record.exit_path, ec);

  SupervisorRequest request;
  request.argv = prepared->argv;
  request.env = worker_environment();
  for (const auto& [var, value] : prepared->env) request.env[var] = value;
  // Empty when none were assigned, so a job never sees every GPU by default.
  request.env["CUDA_VISIBLE_DEVICES"] = gpu_list(command);
  request.env["BATON_CASE_ID"] = key.case_id;
  request.env["BATON_STEP"] = std::to_string(key.step_index);
  request.env["BATON_ATTEMPT"] = std::to_string(key.attempt);
  request.cwd = prepared->cwd;
  request.log_path = record.log_path;
  request.exit_path = record.exit_path;
  request.timeout = prepared->timeout;
  request.kill_grace = options_.kill_grace;
  request.supervisor_program = options_.supervisor_program;

  // An idle supervisor takes the job, unless it cannot be described (then
  // a supervisor started for it fails again, with the reason). Its pid is
  // known before the job starts: one write names it, so a worker restarted
  // before the answer adopts the supervisor.
  std::optional<SpareJob> spare_job;
  if (!idle_.empty()) {
    if (auto described = describe_for_spare(request)) {
      spare_job = std::move(described).value();
      record.state = JobRecord::State::running;
      record.supervisor_pid = idle_.front().supervisor_pid;
      record.supervisor_start = idle_.front().supervisor_start;
    }
  }

  auto inserted = store_->insert(record);
  if (!inserted) return reject(command, "job store: " + inserted.error().message);

  // The supervisor starts the job while this thread goes on: its answer is
  // read by the watcher, which then reports StepStarted (or the refusal).
  Result<StartingSupervisor> starting = make_error(Errc::not_found, "no spare supervisor");
  if (spare_job) {
    // The one idle longest.
    starting = hand_to_spare(std::move(idle_.front()), *spare_job, request);
    idle_.pop_front();
    if (!starting) log::logger("jobs")->warn("{}; starting one for step {}", starting.error().message, key.text());
  }
  if (!starting) starting = start_supervisor(request);
  if (!starting) {
    // Nothing ran, so a later delivery may try again.
    if (auto st = store_->remove(key); !st) log::logger("jobs")->error("job store: {}", st.error().message);
    return reject(command, starting.error().message);
  }
  if (record.supervisor_pid != starting->supervisor_pid || record.supervisor_start != starting->supervisor_start) {
    record.state = JobRecord::State::running;
    record.supervisor_pid = starting->supervisor_pid;
    record.supervisor_start = starting->supervisor_start;
    // Recorded now, so a worker restarted before the answer adopts the supervisor.
    if (auto st = store_->mark_running(key, record.supervisor_pid, record.supervisor_start, 0); !st) {
      log::logger("jobs")->error("job store: {}", st.error().message);
    }
  }
  auto [it, inserted_job] = running_.emplace(key, Job(record, LogFollower(record.log_path, 0)));
  it->second.starting = std::move(starting).value();
  wake();
}

void JobController::refill_spare_locked() {
  // One waits while another job could start; a full worker's next job takes
  // the supervisor of the job that frees its slot.
  if (!idle_.empty() || stopping_ || used_slots_locked() >= options_.slots) return;
  auto spare = start_spare(options_.supervisor_program);
  if (!spare) {
    log::logger("jobs")->warn("cannot start a spare job supervisor: {}", spare.error().message);
    return;
  }
  idle_.push_back(std::move(spare).value());
}

bool JobController::confirm_start_locked(Job& job) {
  JobRecord& record = job.record;
  auto started = confirm_start(*job.starting);
  // A spare keeps its socket while the job runs: it takes the next job after.
  if (started && job.starting->reusable) job.reusable = std::move(job.starting);
  job.starting.reset();
  // The next spare is started once this job runs, not while it starts:
  // on a machine with few cores the two would compete.
  refill_spare_locked();
  if (!started) {
    if (store_) {
      if (auto st = store_->remove(record.key); !st) log::logger("jobs")->error("job store: {}", st.error().message);
    }
    reject(record.key, record.action, started.error().message);
    return false;
  }
  record.job_pid = started->job_pid;
  if (store_) {
    if (auto st = store_->mark_running(record.key, record.supervisor_pid, record.supervisor_start, record.job_pid); !st) {
      log::logger("jobs")->error("job store: {}", st.error().message);
    }
  }
  log::logger("jobs")->info("step {} started: {} (pid {}, log {})", record.key.text(), record.action, record.job_pid,
                            record.log_path);
  emit_started(record);
  // A cancel that came while it started is sent now.
  if (!record.cancel_reason.empty()) send_cancel_locked(job);
  return true;
}

void JobController::cancel_step(const v1::CancelStep& command) {
  std::lock_guard lock(mu_);
  const JobKey key = key_of(command.case_id(), command.step_index(), command.attempt());
  auto it = running_.find(key);
  if (it == running_.end()) {
    log::logger("jobs")->info("cancel for step {}: not running here", key.text());
    return;
  }
  Job& job = it->second;
  job.record.cancel_reason = command.reason().empty() ? "cancelled by the conductor" : command.reason();
  if (store_) {
    if (auto st = store_->set_cancel_reason(key, job.record.cancel_reason); !st) {
      log::logger("jobs")->error("job store: {}", st.error().message);
    }
  }
  log::logger("jobs")->info("cancelling step {}: {}", key.text(), job.record.cancel_reason);
  // A starting job's cancel is sent once the supervisor has said it runs.
  if (job.starting) return;
  send_cancel_locked(job);
  wake();
}

v1::RunningSteps JobController::running() const {
  std::lock_guard lock(mu_);
  v1::RunningSteps steps;
  steps.set_worker_id(options_.worker_id);
  for (const auto& [key, job] : running_) *steps.add_steps() = step_ref(key);
  return steps;
}

unsigned JobController::free_slots() const {
  std::lock_guard lock(mu_);
  const unsigned used = used_slots_locked();
  return used >= options_.slots ? 0 : options_.slots - used;
}

size_t JobController::running_count() const {
  std::lock_guard lock(mu_);
  return running_.size();
}

bool JobController::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [this] { return running_.empty() || stop_waiting_; }) && running_.empty();
}

void JobController::stop_waiting() {
  {
    std::lock_guard lock(mu_);
    stop_waiting_ = true;
  }
  changed_.notify_all();
}

void JobController::watch_loop() {
  std::vector<pollfd> fds;
  std::vector<JobKey> starting;
  std::vector<JobKey> reporting;
  char events[4096];
  while (true) {
    fds.assign({{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}});  // a negative fd is ignored
    starting.clear();
    reporting.clear();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      // A starting job's answer, or a running job's end told by its spare.
      for (const auto& [key, job] : running_) {
        if (job.starting) {
          fds.push_back({job.starting->handshake_fd, POLLIN, 0});
          starting.push_back(key);
        }
      }
      for (const auto& [key, job] : running_) {
        if (job.starting || !job.reusable) continue;
        fds.push_back({job.reusable->handshake_fd, POLLIN, 0});
        reporting.push_back(key);
      }
    }
    const auto timeout = static_cast<int>(std::chrono::milliseconds(kWatchInterval).count());
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      log::logger("jobs")->error("poll: {}", strerror(errno));
      std::this_thread::sleep_for(kWatchInterval);
    }
    uint64_t count;
    while (::read(wake_fd_, &count, sizeof count) > 0) {
    }
    if (inotify_fd_ >= 0) {
      while (::read(inotify_fd_, events, sizeof events) > 0) {
      }
    }

    std::unique_lock lock(mu_);
    if (stopping_) return;
    bool changed = false;
    // Answers first: a job may have started and ended since the last look.
    for (size_t i = 0; i < starting.size(); ++i) {
      if (fds[i + 2].revents == 0) continue;
      auto it = running_.find(starting[i]);
      if (it == running_.end() || !it->second.starting) continue;
      if (!confirm_start_locked(it->second)) {
        running_.erase(it);
        changed = true;
      }
    }
    for (size_t i = 0; i < reporting.size(); ++i) {
      if (fds[i + 2 + starting.size()].revents == 0) continue;
      auto it = running_.find(reporting[i]);
      if (it == running_.end() || !it->second.reusable) continue;
      if (auto report = read_exit_report(it->second.reusable->handshake_fd)) {
        finish_locked(it->second, report->exit, &*report);
        running_.erase(it);
        changed = true;
      } else {
        // Gone without a word: its exit file, or its absence, tells the end.
        it->second.reusable.reset();
      }
    }
    for (auto it = running_.begin(); it != running_.end();) {
      if (!it->second.starting && poll_job_locked(it->second)) {
        it = running_.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    std::erase_if(unreaped_, try_reap_supervisor);
    // Unlinked without the lock: on ext4 an unlink can wait for a journal
    // commit, and run_step would wait with it.
    std::vector<std::string> spent = std::exchange(spent_exit_files_, {});
    lock.unlock();
    if (changed) changed_.notify_all();
    std::error_code ec;
    for (const auto& file : spent) fs::remove(file, ec);
  }
}

// A cancel is repeated until the job's end is recorded. A supervisor drops
// a cancel that reaches it before it has read its job's description (as
// meant for the job before), and that happens to a job handed over by a
// worker that died before the answer, adopted and cancelled by the next
// one. Also carries a cancel asked of a worker that died before sending it.
void JobController::repeat_cancel_locked(Job& job) {
  if (job.record.cancel_reason.empty()) return;
  if (std::chrono::steady_clock::now() - job.cancel_sent_at >= kWatchInterval) send_cancel_locked(job);
}

void JobController::send_cancel_locked(Job& job) {
  job.cancel_sent_at = std::chrono::steady_clock::now();
  if (auto st = request_cancel(static_cast<pid_t>(job.record.supervisor_pid), job.record.supervisor_start); !st) {
    log::logger("jobs")->warn("cancel for step {}: {}", job.record.key.text(), st.error().message);
  }
}

void JobController::read_output_locked(Job& job, bool final) {
  for (const auto& line : job.follower.poll(final)) {
    if (auto progress = parse_progress(line)) job.pending_progress = std::move(progress);
  }
  if (!job.pending_progress) return;
  const auto now = std::chrono::steady_clock::now();
  if (!final && now - job.progress_sent_at < kProgressInterval) return;
  v1::Envelope envelope;
  auto* progress = envelope.mutable_step_progress();
  *progress->mutable_step() = step_ref(job.record.key);
  progress->set_percent(job.pending_progress->percent);
  progress->set_message(job.pending_progress->message);
  job.pending_progress.reset();
  job.progress_sent_at = now;
  emit_(std::move(envelope));
}

bool JobController::poll_job_locked(Job& job) {
  read_output_locked(job, false);
  // A spare with its socket tells the end there (the watcher reads it), and
  // the socket breaks if it dies: no file to look for, no process to check.
  if (job.reusable) {
    repeat_cancel_locked(job);
    return false;
  }
  auto exit = read_exit_file(job.record.exit_path);
  if (!exit) {
    if (supervisor_alive(static_cast<pid_t>(job.record.supervisor_pid), job.record.supervisor_start)) {
      repeat_cancel_locked(job);
      return false;
    }
    // It may have written the file between the two looks.
    exit = read_exit_file(job.record.exit_path);
  }
  finish_locked(job, exit);
  return true;
}

void JobController::finish_locked(Job& job, const std::optional<ExitRecord>& exit, const SocketExit* told) {
  read_output_locked(job, true);
  JobRecord& r = job.record;
  r.state = JobRecord::State::finished;
  if (!exit) {
    // Nobody will ever record this job's end; don't leave it running unseen
    // while the conductor retries the step elsewhere.
    kill_orphaned_group(static_cast<pid_t>(r.job_pid), r.supervisor_start);
    r.outcome = v1::StepFinished::FAILED;
    r.exit_code = -1;
    r.signal = 0;
    r.message = kLostMessage;
    r.finished_at_ms = to_unix_ms(clock_.now());
  } else {
    r.exit_code = exit->exit_code;
    r.signal = exit->signal;
    r.finished_at_ms = exit->finished_at_ms;
    switch (exit->end) {
      case ExitRecord::End::timed_out:
        r.outcome = v1::StepFinished::TIMED_OUT;
        r.message = "timed out after " + config::format_duration(std::chrono::milliseconds(r.timeout_ms)) +
                    "; its process group was stopped (" + describe_exit(*exit) + ")";
        break;
      case ExitRecord::End::cancelled:
        r.outcome = v1::StepFinished::CANCELLED;
        r.message = "cancelled: " + (r.cancel_reason.empty() ? std::string("no reason given") : r.cancel_reason) +
                    " (" + describe_exit(*exit) + ")";
        break;
      case ExitRecord::End::exited:
        r.outcome = exit->signal == 0 && exit->exit_code == 0 ? v1::StepFinished::SUCCEEDED : v1::StepFinished::FAILED;
        r.message = describe_exit(*exit);
        break;
    }
  }
  r.duration_ms = std::max<int64_t>(0, r.finished_at_ms - r.started_at_ms);
  r.output_tail = read_last_lines(r.log_path, options_.output_tail_lines);
  // A long job's end was flushed to its exit file, which goes once the end
  // is here: so this write is flushed too (one fsync per job of a second or
  // more), or a machine crash could lose the end the file had kept.
  bool recorded = true;
  if (store_) {
    if (auto st = store_->mark_finished(r, r.duration_ms >= supervise::kFlushAfterMs); !st) {
      log::logger("jobs")->error("job store: {}", st.error().message);
      recorded = false;
    }
  }
  // Not recorded, the exit file stays for the next worker to read.
  if (recorded && (!told || told->filed)) spent_exit_files_.push_back(r.exit_path);
  if (told) {
    // Unanswered (not recorded, or the socket broke), the supervisor writes
    // the exit file unless it has, and exits.
    if (!job.reusable || !recorded || !acknowledge_exit_report(job.reusable->handshake_fd)) job.reusable.reset();
  }
  // No more wait than the slots this job's end leaves free (it still counts in used_slots_locked()).
  const unsigned others = used_slots_locked() - std::min(r.slots, used_slots_locked());
  const unsigned free_after = options_.slots > others ? options_.slots - others : 0;
  if (exit && job.reusable && !stopping_ && idle_.size() < free_after) {
    // Its end is recorded, so it now waits for another job.
    idle_.push_back(std::move(*job.reusable));
    job.reusable.reset();
  } else if (exit) {
    // Without its socket (closed with job.reusable) it exits too.
    unreaped_.push_back(static_cast<pid_t>(r.supervisor_pid));
  }
  log::logger("jobs")->info("step {} finished: {}", r.key.text(), r.message);
  emit_finished(r);
}

}  // namespace baton::worker
