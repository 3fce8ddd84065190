#include "conductor/alerts/remediation_policy.hpp"

#include <algorithm>
#include <array>

#include "common/config/yaml_reader.hpp"
#include "conductor/alerts/alert_engine.hpp"
#include "conductor/alerts/silences.hpp"

namespace baton::conductor::alerts {

namespace {

using namespace std::chrono_literals;
using Outcome = RemediationRun::Outcome;

constexpr std::array<std::pair<Outcome, const char*>, 6> kOutcomes{{
    {Outcome::running, "running"}, {Outcome::awaiting_verification, "awaiting_verification"},
    {Outcome::verifying, "verifying"}, {Outcome::verified, "verified"},
    {Outcome::failed, "failed"}, {Outcome::verify_failed, "verify_failed"}}};

bool rule_matches(const RemediationRule& rule, const CheckObservation& o) {
  if (o.state == CheckState::ok || !glob_match(rule.check_glob, o.check)) return false;
  if (rule.state && *rule.state != o.state) return false;
  return std::all_of(rule.labels.begin(), rule.labels.end(), [&](const std::string& label) {
    return std::any_of(o.labels.begin(), o.labels.end(), [&](const std::string& l) { return glob_match(label, l); });
  });
}

}  // namespace

const char* to_string(Outcome outcome) {
  for (const auto& [value, name] : kOutcomes)
    if (value == outcome) return name;
  return "failed";
}

std::optional<Outcome> parse_remediation_outcome(std::string_view text) {
  for (const auto& [value, name] : kOutcomes)
    if (text == name) return value;
  return std::nullopt;
}

const char* to_string(RemediationDecision::Verdict verdict) {
  switch (verdict) {
    case RemediationDecision::Verdict::run: return "run";
    case RemediationDecision::Verdict::cooling_down: return "cooling_down";
    case RemediationDecision::Verdict::budget_exhausted: return "budget_exhausted";
    case RemediationDecision::Verdict::none: return "none";
  }
  return "none";
}

RemediationRun* RemediationPolicy::find(int64_t run_id) {
  auto it = std::find_if(runs_.begin(), runs_.end(), [&](const RemediationRun& r) { return r.id == run_id; });
  return it == runs_.end() ? nullptr : &*it;
}

void RemediationPolicy::forget_old(TimePoint now) {
  // Budgets look back one hour; cooldowns are capped at a day by the config.
  std::erase_if(runs_, [&](const RemediationRun& r) { return !r.in_flight() && r.started_at + 24h < now; });
}

RemediationDecision RemediationPolicy::decide(const CheckObservation& o, TimePoint now) {
  forget_old(now);
  RemediationDecision decision;
  auto rule = std::find_if(rules_.begin(), rules_.end(), [&](const RemediationRule& r) { return rule_matches(r, o); });
  if (rule == rules_.end()) return decision;

  const std::string key = AlertEngine::check_key(o.worker_id, o.check);
  unsigned last_hour = 0;
  std::optional<TimePoint> latest;
  for (const auto& run : runs_) {
    if (run.worker_id != o.worker_id || run.action != rule->action) continue;
    if (run.alert_key == key && run.in_flight()) {
      decision.reason = "remediation " + std::to_string(run.id) + " is still in progress";
      return decision;
    }
    if (run.started_at + 1h > now) ++last_hour;
    if (run.alert_key == key && (!latest || run.started_at > *latest)) latest = run.started_at;
  }

  if (latest && now < *latest + rule->cooldown) {
    decision.verdict = RemediationDecision::Verdict::cooling_down;
    decision.retry_after = *latest + rule->cooldown;
    decision.reason = rule->action + " on " + o.worker_id + " ran less than " +
                      config::format_duration(rule->cooldown) + " ago";
    return decision;
  }
  if (last_hour >= rule->budget_per_hour) {
    decision.verdict = RemediationDecision::Verdict::budget_exhausted;
    decision.reason = "budget of " + std::to_string(rule->budget_per_hour) + " " + rule->action + " runs per hour on " +
                      o.worker_id + " used up; escalating";
    const std::string budget_key = rule->action + "\n" + o.worker_id;
    auto reported = exhaustion_reported_.find(budget_key);
    // One escalation per exhausted hour, not one per failing check result.
    if (reported == exhaustion_reported_.end() || reported->second + 1h <= now) {
      decision.escalate = true;
      exhaustion_reported_[budget_key] = now;
    }
    return decision;
  }

  RemediationRun run;
  run.id = next_run_id_++;
  run.alert_key = key;
  run.worker_id = o.worker_id;
  run.check = o.check;
  run.action = rule->action;
  run.params = rule->params;
  run.started_at = now;
  run.message = std::string("on ") + to_string(o.state) + ": " + o.output;
  runs_.push_back(run);
  decision.verdict = RemediationDecision::Verdict::run;
  decision.run = run;
  decision.reason = "running " + rule->action + " on " + o.worker_id;
  return decision;
}

Result<RemediationUpdate> RemediationPolicy::record_action_result(int64_t run_id, bool succeeded,
                                                                  const std::string& message, TimePoint now) {
  RemediationRun* run = find(run_id);
  if (!run) return make_error(Errc::not_found, "no remediation run " + std::to_string(run_id));
  if (run->outcome != Outcome::running)
    return make_error(Errc::conflict, "remediation run " + std::to_string(run_id) + " already has a result");
  RemediationUpdate update;
  run->message = message;
  if (!succeeded) {
    run->outcome = Outcome::failed;
    run->finished_at = now;
    update.escalate = true;
    update.reason = "remediation " + run->action + " failed: " + message;
  } else {
    auto rule = std::find_if(rules_.begin(), rules_.end(), [&](const RemediationRule& r) {
      return r.action == run->action && glob_match(r.check_glob, run->check);
    });
    run->outcome = Outcome::awaiting_verification;
    run->verify_at = now + (rule == rules_.end() ? std::chrono::milliseconds(0) : rule->verify_after);
  }
  update.run = *run;
  return update;
}

std::vector<RemediationRun> RemediationPolicy::due_verifications(TimePoint now) {
  std::vector<RemediationRun> due;
  for (auto& run : runs_) {
    if (run.outcome != Outcome::awaiting_verification || !run.verify_at || *run.verify_at > now) continue;
    run.outcome = Outcome::verifying;
    due.push_back(run);
  }
  return due;
}

std::optional<RemediationUpdate> RemediationPolicy::verify(const CheckObservation& o) {
  const std::string key = AlertEngine::check_key(o.worker_id, o.check);
  auto run = std::find_if(runs_.begin(), runs_.end(), [&](const RemediationRun& r) {
    return r.alert_key == key && r.outcome == Outcome::verifying;
  });
  if (run == runs_.end()) return std::nullopt;
  RemediationUpdate update;
  run->finished_at = o.at;
  if (o.state == CheckState::ok) {
    run->outcome = Outcome::verified;
    run->message = "verified: " + o.output;
  } else {
    run->outcome = Outcome::verify_failed;
    run->message = std::string("still ") + to_string(o.state) + " after " + run->action + ": " + o.output;
    update.escalate = true;
    update.reason = "remediation " + run->action + " did not help: " + run->message;
  }
  update.run = *run;
  return update;
}

std::optional<TimePoint> RemediationPolicy::next_wakeup() const {
  std::optional<TimePoint> next;
  for (const auto& run : runs_)
    if (run.outcome == Outcome::awaiting_verification && run.verify_at && (!next || *run.verify_at < *next))
      next = run.verify_at;
  return next;
}

void RemediationPolicy::restore(std::vector<RemediationRun> runs, int64_t max_run_id) {
  runs_ = std::move(runs);
  next_run_id_ = max_run_id + 1;
}

}  // namespace baton::conductor::alerts
