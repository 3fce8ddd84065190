#include "conductor/tasks/task_scheduler.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"
#include "common/log/logging.hpp"

namespace baton::conductor {

namespace {

using google::protobuf::util::TimeUtil;

std::map<std::string, TaskDefinition> by_schedule_name(std::map<std::string, TaskDefinition> tasks) {
  std::map<std::string, TaskDefinition> out;
  for (auto& [_, task] : tasks) out.emplace(task.schedule_name(), std::move(task));
  return out;
}

std::string perfdata_json(const v1::CheckResult& result) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : result.perfdata()) {
    nlohmann::json item{{"label", p.label()}, {"value", p.value()}, {"uom", p.uom()}};
    if (!p.warn().empty()) item["warn"] = p.warn();
    if (!p.crit().empty()) item["crit"] = p.crit();
    if (p.has_min()) item["min"] = p.min();
    if (p.has_max()) item["max"] = p.max();
    items.push_back(std::move(item));
  }
  return items.dump();
}

TimePoint finished_at(const google::protobuf::Timestamp& t, TimePoint fallback) {
  const int64_t ms = TimeUtil::TimestampToMilliseconds(t);
  return ms > 0 ? from_unix_ms(ms) : fallback;
}

}  // namespace

TaskScheduler::TaskScheduler(ConductorStore& store, amqp::Transport& transport, WorkerRegistry& workers,
                             const Clock& clock, std::map<std::string, TaskDefinition> tasks)
    : store_(store),
      transport_(transport),
      workers_(workers),
      clock_(clock),
      tasks_(by_schedule_name(std::move(tasks))),
      book_(std::make_unique<ScheduleBook>(clock)),
      history_(store.db()),
      log_(log::logger("tasks")) {}

TaskScheduler::~TaskScheduler() = default;

Status TaskScheduler::load() {
  auto history = history_.load();
  if (!history) return history.error();
  book_ = std::make_unique<ScheduleBook>(clock_, std::move(*history));
  if (hold_) book_->set_hold(hold_);
  for (const auto& [name, task] : tasks_)
    if (task.schedule)
      if (auto st = book_->add_schedule(*task.schedule, targets_of(task)); !st) return st;
  return {};
}

std::vector<std::string> TaskScheduler::targets_of(const TaskDefinition& task) const {
  std::vector<std::string> out;
  for (const auto& [id, worker] : workers_.all())
    if (worker.online && task.targets.matches(worker)) out.push_back(id);
  return out;
}

Status TaskScheduler::refresh_worker(const WorkerRecord& worker) {
  for (const auto& [name, task] : tasks_)
    if (task.schedule)
      if (auto st = book_->set_target(name, worker.id, worker.online && task.targets.matches(worker)); !st) return st;
  return {};
}

const TaskDefinition* TaskScheduler::by_schedule(const std::string& schedule_name) const {
  auto it = tasks_.find(schedule_name);
  return it == tasks_.end() ? nullptr : &it->second;
}

const TaskDefinition* TaskScheduler::find(TaskDefinition::Kind kind, const std::string& name) const {
  return by_schedule(task_key(kind, name));
}

Status TaskScheduler::tick() {
  const TimePoint now = clock_.now();
  DueBatch batch = book_->due(now);
  for (const auto& run : batch.runs) {
    const TaskDefinition* task = by_schedule(run.schedule);
    if (!task) continue;
    if (run.reason == RunOutcome::catch_up)
      log_->info("{} {} on {}: catching up on a run missed since {}", to_string(task->kind), task->name, run.target,
                 to_unix_ms(run.missed_since.value_or(run.scheduled_for)));
    if (auto st = send(*task, run.target, run.run_id(), run.expires_at, task->dry_run, true); !st) return st;
    book_->mark_fired(run, now);
  }
  for (const auto& s : batch.skipped)
    log_->warn("{} on {}: runs missed while away were skipped (missed: skip)", s.schedule, s.target);
  for (const auto& h : batch.held) log_->info("{} on {}: held by a maintenance window", h.schedule, h.target);
  return history_.record(book_->take_history_changes());
}

Result<std::vector<TriggeredRun>> TaskScheduler::run_now(TaskDefinition::Kind kind, const std::string& name,
                                                         const std::string& worker_id, std::optional<bool> dry_run) {
  const TaskDefinition* task = find(kind, name);
  if (!task) return make_error(Errc::not_found, std::string("no ") + to_string(kind) + " named " + name);
  std::vector<std::string> targets;
  if (worker_id.empty()) {
    targets = targets_of(*task);
    if (targets.empty())
      return make_error(Errc::unavailable, std::string("no online worker is a target of ") + to_string(kind) + " " + name);
  } else {
    const WorkerRecord* w = workers_.find(worker_id);
    if (!w) return make_error(Errc::not_found, "no worker named " + worker_id);
    if (!w->online) return make_error(Errc::unavailable, "worker " + worker_id + " is offline");
    targets.push_back(worker_id);
  }
  const TimePoint now = clock_.now();
  std::vector<TriggeredRun> out;
  for (const auto& target : targets) {
    const std::string command_id =
        "manual/" + task->schedule_name() + "/" + target + "/" + codec::new_message_id().substr(0, 12);
    // A manual request may wait in the queue for a timeout's worth at most.
    if (auto st = send(*task, target, command_id, now + std::max(task->timeout, std::chrono::milliseconds(60'000)),
                       dry_run.value_or(task->dry_run), false);
        !st)
      return st.error();
    out.push_back({target, command_id});
  }
  return out;
}

Status TaskScheduler::run_action(const std::string& action, const std::map<std::string, std::string>& params,
                                 const std::string& worker_id, const std::string& command_id) {
  TaskDefinition task;
  task.kind = TaskDefinition::Kind::maintenance;
  task.name = "remediation";
  task.type = action;
  task.params = params;
  task.timeout = std::chrono::minutes(10);
  return send(task, worker_id, command_id, clock_.now() + task.timeout, false, false);
}

Status TaskScheduler::send(const TaskDefinition& task, const std::string& worker_id, const std::string& command_id,
                           TimePoint expires_at, bool dry_run, bool scheduled) {
  const TimePoint now = clock_.now();
  v1::Envelope envelope;
  const auto expires = TimeUtil::MillisecondsToTimestamp(to_unix_ms(expires_at));
  const std::string schedule = task.schedule ? task.schedule_name() : "";
  if (task.kind == TaskDefinition::Kind::check) {
    auto* c = envelope.mutable_run_check();
    c->set_command_id(command_id);
    c->set_check(task.name);
    c->set_type(task.type);
    for (const auto& [k, v] : task.params) (*c->mutable_params())[k] = v;
    for (const auto& a : task.args) c->add_args(a);
    c->set_timeout_ms(static_cast<uint32_t>(task.timeout.count()));
    *c->mutable_expires_at() = expires;
    c->set_schedule(schedule);
  } else {
    auto* m = envelope.mutable_run_maintenance();
    m->set_command_id(command_id);
    m->set_action(task.type);
    for (const auto& [k, v] : task.params) (*m->mutable_params())[k] = v;
    m->set_dry_run(dry_run);
    m->set_timeout_ms(static_cast<uint32_t>(task.timeout.count()));
    *m->mutable_expires_at() = expires;
    m->set_schedule(schedule);
    MaintenanceRunRecord run;
    run.command_id = command_id;
    run.worker_id = worker_id;
    run.task = task.name;
    run.action = task.type;
    run.schedule = schedule;
    run.dry_run = dry_run;
    run.requested_at = now;
    if (auto st = store_.insert_maintenance_run(run); !st) return st;
  }
  envelope.set_message_id(command_id);
  codec::stamp(envelope, "baton-conductor", now);
  auto message = codec::to_message(envelope, amqp::kCommandsExchange, amqp::worker_routing_key(worker_id));
  message.recoverable = scheduled && task.kind == TaskDefinition::Kind::check;
  // The queue drops a request nobody took in time (DESIGN.md: check requests carry a TTL).
  message.expiration = std::max(std::chrono::milliseconds(1000),
                                std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - now));
  outbox_.add(std::move(message), [log = log_, command_id](amqp::PublishOutcome outcome) {
    if (outcome != amqp::PublishOutcome::confirmed)
      log->warn("request {} was not delivered ({})", command_id, amqp::to_string(outcome));
  });
  return {};
}

void TaskScheduler::discard_outbox() {
  // Their runs were not recorded either; the database failure handler stops
  // the conductor, and after the restart the schedules fire them again.
  if (const size_t dropped = outbox_.discard(); dropped > 0)
    log_->warn("{} requests dropped with a failed commit", dropped);
}

Status TaskScheduler::on_check_result(const v1::CheckResult& r) {
  CheckResultRecord record;
  record.worker_id = r.worker_id();
  record.check = r.check();
  record.type = r.type();
  record.command_id = r.command_id();
  record.schedule = r.schedule();
  record.state = static_cast<CheckState>(std::clamp(static_cast<int>(r.state()), 0, 3));
  record.output = r.output();
  record.output_truncated = r.output_truncated();
  record.perfdata_json = perfdata_json(r);
  record.duration = std::chrono::milliseconds(r.duration_ms());
  record.at = finished_at(r.finished_at(), clock_.now());
  auto recorded = store_.record_check_result(record);
  if (!recorded) return recorded.error();
  // Only the new latest state counts for alerting: an older result that
  // arrived late must not resolve or reopen anything.
  if (*recorded == CheckRecorded::latest && check_listener_) check_listener_(record);
  return {};
}

Status TaskScheduler::on_maintenance_result(const v1::MaintenanceResult& r) {
  MaintenanceRunRecord run;
  run.command_id = r.command_id();
  run.worker_id = r.worker_id();
  run.action = r.action();
  run.schedule = r.schedule();
  run.dry_run = r.dry_run();
  run.status = r.ok() ? "OK" : "FAILED";
  run.message = r.message();
  run.details_json = r.details_json().empty() ? "{}" : r.details_json();
  run.metrics_json = nlohmann::json(std::map<std::string, double>(r.metrics().begin(), r.metrics().end())).dump();
  run.duration = std::chrono::milliseconds(r.duration_ms());
  run.finished_at = finished_at(r.finished_at(), clock_.now());
  run.requested_at = *run.finished_at;
  // The task name travels in the command id for manual runs and in the
  // schedule for scheduled ones; a result for an unknown request keeps the action.
  run.task = r.action();
  auto fresh = store_.finish_maintenance_run(run);
  if (!fresh) return fresh.error();
  if (*fresh && maintenance_listener_) maintenance_listener_(r);
  if (!r.ok()) log_->warn("maintenance {} on {} failed: {}", r.action(), r.worker_id(), r.message());
  return {};
}

std::vector<ScheduledTarget> TaskScheduler::scheduled() const {
  std::vector<ScheduledTarget> out;
  for (const auto& [name, task] : tasks_) {
    if (!task.schedule) continue;
    for (const auto& target : targets_of(task)) {
      ScheduledTarget t{task.name, task.kind, target, book_->next_run(name, target), std::nullopt, ""};
      if (auto h = book_->history(name, target)) {
        t.last_fired = h->last_fired;
        t.last_outcome = to_string(h->last_outcome);
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace baton::conductor
