#include "conductor/core/alerting.hpp"

#include <nlohmann/json.hpp>

#include "common/log/logging.hpp"

namespace baton::conductor {

namespace {

alerts::CheckState to_alert_state(CheckState s) { return static_cast<alerts::CheckState>(static_cast<int>(s)); }

// Remediation runs are kept for a day: enough for "N per hour" budgets.
constexpr auto kRemediationMemory = std::chrono::hours(24);

}  // namespace

std::string remediation_command_id(int64_t run_id, const std::string& worker_id) {
  return "remediation/" + std::to_string(run_id) + "/" + worker_id;
}

std::optional<int64_t> remediation_run_of(const std::string& command_id) {
  constexpr std::string_view prefix = "remediation/";
  if (command_id.rfind(prefix, 0) != 0) return std::nullopt;
  try {
    return std::stoll(command_id.substr(prefix.size()));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Alerting::Alerting(ConductorStore& store, const Clock& clock, alerts::AlertsConfig config, TaskScheduler& tasks,
                   WorkerRegistry& workers, Post post, InBatch in_batch)
    : store_(store),
      clock_(clock),
      config_(config),
      tasks_(tasks),
      workers_(workers),
      post_(std::move(post)),
      in_batch_(std::move(in_batch)),
      engine_(config),
      alert_store_(store.db()),
      remediation_(config.remediation),
      log_(log::logger("alerts")) {}

Alerting::~Alerting() {
  *alive_ = false;
  stop();
}

Status Alerting::start() {
  const TimePoint now = clock_.now();
  auto state = alert_store_.load(now);
  if (!state) return state.error();
  const size_t open = state->open_alerts.size();
  engine_.restore(std::move(*state));
  auto runs = alert_store_.remediations_for_restore(now - kRemediationMemory);
  if (!runs) return runs.error();
  auto max_id = alert_store_.max_remediation_id();
  if (!max_id) return max_id.error();
  remediation_.restore(std::move(*runs), *max_id);
  sender_ = std::make_unique<alerts::NotificationSender>(
      alerts::make_channels(config_), config_.retry, config_.rate_limit_per_hour, clock_,
      [this, alive = alive_](const alerts::NotificationAttempt& attempt) {
        post_([this, alive, attempt] {
          if (*alive) record_outcome(attempt);
        });
      });
  sender_->start();
  log_->info("{} open alerts, {} silences, {} maintenance windows restored", open, engine_.silences().size(),
             engine_.maintenance_windows().size());
  return {};
}

void Alerting::stop() {
  if (sender_) sender_->stop(alerts::NotificationSender::StopMode::finish);
}

void Alerting::record_outcome(const alerts::NotificationAttempt& attempt) {
  if (metrics_) metrics_->notifications.with({attempt.channel, to_string(attempt.outcome)}).inc();
  const Status committed = in_batch_([this, attempt] {
    if (auto st = alert_store_.record_notification(attempt); !st)
      log_->error("recording a notification: {}", st.error().message);
  });
  if (!committed) log_->error("recording a notification: {}", committed.error().message);
}

Status Alerting::apply(const alerts::EngineOutput& output) {
  if (output.empty()) return {};
  if (auto st = alert_store_.save(output); !st) {
    log_->error("saving alerts: {}", st.error().message);
    if (database_failure_) database_failure_(st.error());
    return st;
  }
  for (auto& message : alerts::messages_for(output, clock_.now())) unsent_.push_back(std::move(message));
  if (metrics_)
    for (const auto& intent : output.intents)
      if (intent.kind == alerts::NotificationKind::escalation)
        metrics_->escalations.with({"L" + std::to_string(intent.level + 1)}).inc();
  if (events_)
    for (const auto& a : output.alerts)
      events_("alert", nlohmann::json{{"id", a.id}, {"key", a.key}, {"open", a.open}, {"hard", a.hard},
                                      {"severity", alerts::to_string(a.severity)}, {"level", a.escalation_level}}
                           .dump());
  return {};
}

void Alerting::after_commit(bool committed) {
  if (unsent_.empty()) return;
  if (!committed) {
    // The alert rows they announce were rolled back; the engine decides
    // again on the next result.
    log_->warn("{} notifications dropped with a failed commit", unsent_.size());
    unsent_.clear();
    return;
  }
  for (auto& message : unsent_) sender_->enqueue(std::move(message));
  unsent_.clear();
}

void Alerting::save_run(const alerts::RemediationRun& run) {
  if (metrics_ && !run.in_flight()) metrics_->remediations.with({run.action, to_string(run.outcome)}).inc();
  if (auto st = alert_store_.save_remediation(run); !st) {
    log_->error("saving remediation run: {}", st.error().message);
    if (database_failure_) database_failure_(st.error());
  }
}

void Alerting::escalate(const std::string& key, const std::string& reason) {
  auto out = engine_.escalate_now(key, reason, clock_.now());
  if (out) (void)apply(*out);
  else log_->warn("cannot escalate {}: {}", key, out.error().message);
}

void Alerting::start_remediation(alerts::RemediationRun run) {
  save_run(run);
  log_->info("remediation {}: {} on {} for {}", run.id, run.action, run.worker_id, run.alert_key);
  if (auto st = tasks_.run_action(run.action, run.params, run.worker_id, remediation_command_id(run.id, run.worker_id));
      !st) {
    auto update = remediation_.record_action_result(run.id, false, "not sent: " + st.error().message, clock_.now());
    if (update) {
      save_run(update->run);
      if (update->escalate) escalate(run.alert_key, update->reason);
    }
  }
}

void Alerting::on_check(const CheckResultRecord& r) {
  alerts::CheckObservation obs;
  obs.worker_id = r.worker_id;
  obs.check = r.check;
  obs.state = to_alert_state(r.state);
  obs.output = r.output;
  if (const WorkerRecord* w = workers_.find(r.worker_id)) obs.labels = w->labels;
  obs.at = clock_.now();
  // A verification re-check first: it may resolve or escalate before the
  // result counts as a new failure.
  if (auto update = remediation_.verify(obs)) {
    save_run(update->run);
    if (update->escalate) escalate(alerts::AlertEngine::check_key(r.worker_id, r.check), update->reason);
  }
  (void)apply(engine_.observe(obs));
  const alerts::AlertRecord* alert = engine_.find_key(alerts::AlertEngine::check_key(r.worker_id, r.check));
  if (!alert || !alert->hard) return;  // remediation answers a hard problem, like a human would
  auto decision = remediation_.decide(obs, obs.at);
  if (decision.verdict == alerts::RemediationDecision::Verdict::run && decision.run) start_remediation(*decision.run);
  if (decision.escalate) escalate(alert->key, decision.reason);
}

void Alerting::on_case(const CaseRecord& record, CaseScheduler::Problem problem, const std::string& message) {
  alerts::CaseProblem p;
  p.case_id = record.id;
  p.kind = problem == CaseScheduler::Problem::failed  ? alerts::CaseProblem::Kind::failed
           : problem == CaseScheduler::Problem::stuck ? alerts::CaseProblem::Kind::stuck
                                                      : alerts::CaseProblem::Kind::recovered;
  // Completed cases without an alert are the common case: nothing to do.
  if (p.kind == alerts::CaseProblem::Kind::recovered && !engine_.find_key(alerts::AlertEngine::case_key(record.id)))
    return;
  p.message = message;
  p.at = clock_.now();
  (void)apply(engine_.observe(p));
}

void Alerting::on_worker(const WorkerRecord& worker) {
  (void)apply(engine_.observe(alerts::WorkerLiveness{worker.id, worker.online, clock_.now()}));
}

void Alerting::on_maintenance_result(const v1::MaintenanceResult& result) {
  const auto run_id = remediation_run_of(result.command_id());
  if (!run_id) return;
  auto update = remediation_.record_action_result(*run_id, result.ok(), result.message(), clock_.now());
  if (!update) {
    log_->warn("result for unknown remediation run {}: {}", *run_id, update.error().message);
    return;
  }
  save_run(update->run);
  if (update->escalate) escalate(update->run.alert_key, update->reason);
}

void Alerting::tick() {
  const TimePoint now = clock_.now();
  (void)apply(engine_.tick(now));
  for (const auto& run : remediation_.due_verifications(now)) {
    save_run(run);
    auto sent = tasks_.run_now(TaskDefinition::Kind::check, run.check, run.worker_id, std::nullopt);
    if (!sent) log_->warn("cannot re-check {} on {}: {}", run.check, run.worker_id, sent.error().message);
  }
}

Result<alerts::AlertRecord> Alerting::acknowledge(int64_t alert_id, const std::string& author,
                                                  const std::string& comment, std::optional<TimePoint> until) {
  auto out = engine_.acknowledge(alert_id, author, comment, until, clock_.now());
  if (!out) return out.error();
  if (auto st = apply(*out); !st) return st.error();
  return *engine_.find(alert_id);
}

Result<alerts::Silence> Alerting::add_silence(alerts::Silence silence) {
  auto out = engine_.add_silence(std::move(silence), clock_.now());
  if (auto st = apply(out); !st) return st.error();
  if (out.silences.empty()) return make_error(Errc::invalid_argument, "the silence was not added");
  return out.silences.back();
}

Status Alerting::expire_silence(int64_t silence_id) {
  auto out = engine_.expire_silence(silence_id, clock_.now());
  if (!out) return out.error();
  return apply(*out);
}

Result<alerts::MaintenanceWindow> Alerting::add_maintenance(alerts::MaintenanceWindow window) {
  auto out = engine_.add_maintenance(std::move(window), clock_.now());
  if (auto st = apply(out); !st) return st.error();
  if (out.maintenance_windows.empty()) return make_error(Errc::invalid_argument, "the window was not added");
  return out.maintenance_windows.back();
}

Status Alerting::end_maintenance(int64_t window_id) {
  auto out = engine_.end_maintenance(window_id, clock_.now());
  if (!out) return out.error();
  return apply(*out);
}

bool Alerting::holds(const std::string& worker_id, TimePoint now) const {
  return engine_.in_maintenance(worker_id, now);
}

}  // namespace baton::conductor
