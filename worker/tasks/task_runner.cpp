#include "worker/tasks/task_runner.hpp"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include "common/log/logging.hpp"

namespace baton::worker {

namespace {

using google::protobuf::util::TimeUtil;

// Enough to recognise a redelivery, which comes within seconds.
constexpr size_t kRecentCommands = 4096;

// Why a request is not run, when it waited past its expiry (a zero
// timestamp means it set none).
std::optional<std::string> expired(const google::protobuf::Timestamp& expires_at, TimePoint now) {
  const int64_t ms = TimeUtil::TimestampToMilliseconds(expires_at);
  if (ms <= 0 || now <= from_unix_ms(ms)) return std::nullopt;
  return "not run: the request expired " + std::to_string(to_unix_ms(now) - ms) + " ms before this worker took it";
}

}  // namespace

TaskRunner::TaskRunner(std::string worker_id, checks::ChecksConfig checks, maintenance::MaintenanceConfig maintenance,
                       unsigned threads, const Clock& clock, Emit emit)
    : worker_id_(std::move(worker_id)),
      checks_(std::move(checks)),
      maintenance_(std::move(maintenance), clock),
      clock_(clock),
      emit_(std::move(emit)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { loop(); });
}

TaskRunner::~TaskRunner() { stop(); }

void TaskRunner::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool TaskRunner::seen_before(const std::string& command_id) {
  std::lock_guard lock(mu_);
  if (command_id.empty()) return false;
  if (!recent_.insert(command_id).second) return true;
  recent_order_.push_back(command_id);
  if (recent_order_.size() > kRecentCommands) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  return false;
}

void TaskRunner::enqueue(std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
}

void TaskRunner::loop() {
  while (true) {
    std::function<void()> work;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

void TaskRunner::run_check(const v1::RunCheck& command) {
  if (seen_before(command.command_id())) {
    log::logger("tasks")->info("check request {} seen before; not run again", command.command_id());
    return;
  }
  enqueue([this, command] {
    v1::Envelope e;
    *e.mutable_check_result() = execute(command);
    emit_(std::move(e));
  });
}

void TaskRunner::run_maintenance(const v1::RunMaintenance& command) {
  if (seen_before(command.command_id())) {
    log::logger("tasks")->info("maintenance request {} seen before; not run again", command.command_id());
    return;
  }
  enqueue([this, command] {
    v1::Envelope e;
    *e.mutable_maintenance_result() = execute(command);
    emit_(std::move(e));
  });
}

v1::CheckResult TaskRunner::execute(const v1::RunCheck& command) {
  v1::CheckResult r;
  r.set_worker_id(worker_id_);
  r.set_command_id(command.command_id());
  r.set_check(command.check());
  r.set_type(command.type());
  r.set_schedule(command.schedule());
  if (auto stale = expired(command.expires_at(), clock_.now())) {
    // UNKNOWN, not silence: the conductor learns the request went stale.
    r.set_state(v1::CHECK_STATE_UNKNOWN);
    r.set_output(*stale);
  } else {
    checks::CheckRequest request;
    request.type = command.type();
    request.params = {command.params().begin(), command.params().end()};
    request.args = {command.args().begin(), command.args().end()};
    request.timeout = std::chrono::milliseconds(command.timeout_ms());
    const checks::CheckOutcome outcome = checks_.run(request);
    r.set_state(static_cast<v1::CheckState>(static_cast<int>(outcome.state)));
    r.set_output(outcome.output);
    r.set_output_truncated(outcome.output_truncated);
    r.set_duration_ms(static_cast<uint64_t>(outcome.duration.count()));
    for (const auto& p : outcome.perfdata) {
      auto* d = r.add_perfdata();
      d->set_label(p.label);
      d->set_value(p.value);
      d->set_uom(p.uom);
      d->set_warn(p.warn);
      d->set_crit(p.crit);
      if (p.min) d->set_min(*p.min);
      if (p.max) d->set_max(*p.max);
    }
  }
  *r.mutable_finished_at() = TimeUtil::MillisecondsToTimestamp(to_unix_ms(clock_.now()));
  return r;
}

v1::MaintenanceResult TaskRunner::execute(const v1::RunMaintenance& command) {
  v1::MaintenanceResult r;
  r.set_worker_id(worker_id_);
  r.set_command_id(command.command_id());
  r.set_action(command.action());
  r.set_schedule(command.schedule());
  r.set_dry_run(command.dry_run());
  const TimePoint started = clock_.now();
  if (auto stale = expired(command.expires_at(), started)) {
    r.set_ok(false);
    r.set_message(*stale);
  } else {
    maintenance::MaintenanceRequest request;
    request.action = command.action();
    request.params = {command.params().begin(), command.params().end()};
    request.dry_run = command.dry_run();
    request.timeout = std::chrono::milliseconds(command.timeout_ms());
    const maintenance::MaintenanceOutcome outcome = maintenance_.run(request);
    r.set_ok(outcome.ok);
    r.set_message(outcome.message);
    r.set_details_json(outcome.details.dump());
    for (const auto& [name, value] : outcome.metrics) (*r.mutable_metrics())[name] = value;
  }
  const TimePoint finished = clock_.now();
  r.set_duration_ms(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count()));
  *r.mutable_finished_at() = TimeUtil::MillisecondsToTimestamp(to_unix_ms(finished));
  return r;
}

}  // namespace baton::worker
