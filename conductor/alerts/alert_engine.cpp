#include "conductor/alerts/alert_engine.hpp"

#include <algorithm>
#include <cstdio>

namespace baton::conductor::alerts {

AlertEngine::AlertEngine(AlertsConfig config) : config_(std::move(config)) {}

std::string AlertEngine::check_key(const std::string& worker_id, const std::string& check) {
  return "check:" + worker_id + "/" + check;
}
std::string AlertEngine::case_key(const std::string& case_id) { return "case:" + case_id; }
std::string AlertEngine::worker_key(const std::string& worker_id) { return "worker:" + worker_id; }

AlertRecord* AlertEngine::open_by_key(const std::string& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &alerts_.at(it->second);
}

const AlertRecord* AlertEngine::find(int64_t alert_id) const {
  auto it = alerts_.find(alert_id);
  return it == alerts_.end() ? nullptr : &it->second;
}

const AlertRecord* AlertEngine::find_key(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &alerts_.at(it->second);
}

std::vector<AlertRecord> AlertEngine::open_alerts() const {
  std::vector<AlertRecord> out;
  for (const auto& [id, alert] : alerts_) out.push_back(alert);
  return out;
}

AlertRecord& AlertEngine::open_alert(const std::string& key, AlertKind kind, TimePoint at, Changes& changes) {
  AlertRecord alert;
  alert.id = next_alert_id_++;
  alert.key = key;
  alert.kind = kind;
  alert.first_seen = at;
  alert.last_seen = at;
  by_key_[key] = alert.id;
  AlertRecord& stored = alerts_[alert.id] = std::move(alert);
  changes.touched.insert(stored.id);
  return stored;
}

void AlertEngine::event(Changes& changes, const AlertRecord& alert, AlertEventType type, std::string message,
                        TimePoint at) {
  changes.touched.insert(alert.id);
  changes.out.events.push_back(AlertEvent{alert.id, type, std::move(message), at});
}

void AlertEngine::notify(Changes& changes, AlertRecord& alert, const std::vector<std::string>& channels, int level,
                         NotificationKind kind) {
  for (const auto& channel : channels) {
    changes.out.intents.push_back(NotificationIntent{alert.id, channel, level, kind});
    alert.notified_channels.insert(channel);
  }
  changes.touched.insert(alert.id);
}

void AlertEngine::notify_told_channels(Changes& changes, const AlertRecord& alert, NotificationKind kind) {
  for (const auto& channel : alert.notified_channels)
    changes.out.intents.push_back(NotificationIntent{alert.id, channel, std::max(alert.escalation_level, 0), kind});
}

Severity AlertEngine::severity_for(const CheckObservation& o) const {
  for (const auto& rule : config_.severity_rules) {
    if (!glob_match(rule.check_glob, o.check)) continue;
    if (rule.state && *rule.state != o.state) continue;
    if (!rule.label.empty() &&
        std::none_of(o.labels.begin(), o.labels.end(), [&](const auto& l) { return glob_match(rule.label, l); }))
      continue;
    return rule.severity;
  }
  switch (o.state) {
    case CheckState::critical: return config_.critical_severity;
    case CheckState::warning: return config_.warning_severity;
    default: return config_.unknown_severity;
  }
}

void AlertEngine::update_flapping(AlertRecord& alert, FlapDetector& detector, bool changed, TimePoint at,
                                  Changes& changes) {
  alert.flap_percent = detector.percent();
  alert.flap_history = detector.serialize();
  alert.flapping = detector.flapping();
  if (!changed) return;
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.1f%%", alert.flap_percent);
  if (alert.flapping) {
    event(changes, alert, AlertEventType::flapping_started,
          std::string("state change ") + percent + ": notifications suppressed while flapping", at);
    notify_told_channels(changes, alert, NotificationKind::flapping);
  } else {
    event(changes, alert, AlertEventType::flapping_stopped, std::string("state change ") + percent, at);
  }
}

void AlertEngine::set_severity(AlertRecord& alert, Severity severity, TimePoint at, Changes& changes) {
  const Severity before = alert.severity;
  alert.severity = severity;
  if (!alert.hard || severity <= before) return;
  event(changes, alert, AlertEventType::state_changed,
        std::string("severity raised from ") + to_string(before) + " to " + to_string(severity), at);
  // Those already told must hear it got worse: the level reached is notified
  // again (a level with no last-notified time is due at once).
  if (alert.escalation_level >= 0) alert.last_notified_by_level.erase(alert.escalation_level);
}

void AlertEngine::make_hard(AlertRecord& alert, TimePoint at, Changes& changes) {
  alert.hard = true;
  alert.hard_since = at;
  alert.escalation_anchor = at;
  event(changes, alert, AlertEventType::became_hard, std::string("hard ") + to_string(alert.last_state), at);
}

void AlertEngine::resolve(AlertRecord& alert, TimePoint at, Changes& changes) {
  alert.open = false;
  alert.resolved_at = at;
  alert.next_escalation_at.reset();
  event(changes, alert, AlertEventType::resolved, alert.hard ? "resolved" : "soft problem cleared", at);
  // Every channel told of the problem hears it is over, silence or not.
  notify_told_channels(changes, alert, NotificationKind::resolved);
  for (auto& silence : silences_) {
    if (silence.expire_on_resolve && silence.active(at) && silence.matcher.matches(alert)) {
      silence.ends_at = at;
      changes.out.silences.push_back(silence);
    }
  }
  changes.resolved.push_back(alert);
  changes.touched.erase(alert.id);
  by_key_.erase(alert.key);
  alerts_.erase(alert.id);
}

EngineOutput AlertEngine::observe(const CheckObservation& o) {
  saw(o.at);
  Changes changes;
  worker_labels_[o.worker_id] = o.labels;
  const std::string key = check_key(o.worker_id, o.check);
  auto detector_it = flap_.try_emplace(key, FlapDetector(config_.flap_window)).first;
  const bool flap_changed = detector_it->second.record(o.state, config_.flap_high_percent, config_.flap_low_percent);
  AlertRecord* alert = open_by_key(key);

  if (o.state == CheckState::ok) {
    if (!alert) return finish(changes);
    alert->ok_count++;
    alert->non_ok_count = 0;
    changes.touched.insert(alert->id);
    if (alert->last_state != CheckState::ok)
      event(changes, *alert, AlertEventType::state_changed, std::string("OK: ") + o.output, o.at);
    alert->last_state = CheckState::ok;
    alert->last_output = o.output;
    alert->last_seen = o.at;
    update_flapping(*alert, detector_it->second, flap_changed, o.at, changes);
    // A soft problem clears on the first OK; a hard one needs recovery_states.
    if (!alert->hard || alert->ok_count >= static_cast<int>(config_.recovery_states)) resolve(*alert, o.at, changes);
    return finish(changes);
  }

  if (!alert) {
    alert = &open_alert(key, AlertKind::check, o.at, changes);
    alert->worker_id = o.worker_id;
    alert->check = o.check;
    event(changes, *alert, AlertEventType::opened, std::string(to_string(o.state)) + ": " + o.output, o.at);
  } else if (alert->last_state != o.state) {
    event(changes, *alert, AlertEventType::state_changed, std::string(to_string(o.state)) + ": " + o.output, o.at);
  }
  alert->labels = o.labels;
  alert->ok_count = 0;
  alert->non_ok_count++;
  alert->last_state = o.state;
  alert->last_output = o.output;
  alert->last_seen = o.at;
  set_severity(*alert, severity_for(o), o.at, changes);
  changes.touched.insert(alert->id);
  update_flapping(*alert, detector_it->second, flap_changed, o.at, changes);
  update_holds(*alert, o.at, changes);
  if (!alert->hard && alert->non_ok_count >= static_cast<int>(config_.soft_states)) make_hard(*alert, o.at, changes);
  escalate(*alert, o.at, changes);
  return finish(changes);
}

EngineOutput AlertEngine::observe(const CaseProblem& p) {
  saw(p.at);
  Changes changes;
  const std::string key = case_key(p.case_id);
  AlertRecord* alert = open_by_key(key);
  if (p.kind == CaseProblem::Kind::recovered) {
    if (alert) {
      alert->last_output = p.message;
      alert->last_seen = p.at;
      resolve(*alert, p.at, changes);
    }
    return finish(changes);
  }
  const bool failed = p.kind == CaseProblem::Kind::failed;
  const char* what = failed ? "failed" : "stuck";
  if (!alert) {
    alert = &open_alert(key, AlertKind::case_problem, p.at, changes);
    alert->case_id = p.case_id;
    alert->last_state = CheckState::critical;
    event(changes, *alert, AlertEventType::opened, std::string("case ") + what + ": " + p.message, p.at);
  } else {
    event(changes, *alert, AlertEventType::state_changed, std::string("case ") + what + ": " + p.message, p.at);
  }
  const Severity severity = failed ? config_.case_failed_severity : config_.case_stuck_severity;
  set_severity(*alert, std::max(alert->severity, severity), p.at, changes);
  alert->last_output = p.message;
  alert->last_seen = p.at;
  update_holds(*alert, p.at, changes);
  // A case problem is a single, definite event: there is nothing to confirm.
  if (!alert->hard) make_hard(*alert, p.at, changes);
  escalate(*alert, p.at, changes);
  return finish(changes);
}

EngineOutput AlertEngine::observe(const WorkerLiveness& l) {
  saw(l.at);
  Changes changes;
  const std::string key = worker_key(l.worker_id);
  AlertRecord* alert = open_by_key(key);
  if (l.online) {
    offline_workers_.erase(l.worker_id);
    if (alert) {
      alert->last_seen = l.at;
      alert->last_output = "online";
      resolve(*alert, l.at, changes);
    }
  } else {
    offline_workers_.insert(l.worker_id);
    if (!alert) {
      alert = &open_alert(key, AlertKind::worker_offline, l.at, changes);
      alert->worker_id = l.worker_id;
      alert->last_state = CheckState::critical;
      alert->severity = config_.worker_offline_severity;
      alert->last_output = "offline";
      auto labels = worker_labels_.find(l.worker_id);
      if (labels != worker_labels_.end()) alert->labels = labels->second;
      event(changes, *alert, AlertEventType::opened, "worker offline", l.at);
      update_holds(*alert, l.at, changes);
      make_hard(*alert, l.at, changes);
      escalate(*alert, l.at, changes);
    }
  }
  // The worker's own check alerts follow its liveness.
  for (auto& [id, check_alert] : alerts_) {
    if (check_alert.kind != AlertKind::check || check_alert.worker_id != l.worker_id) continue;
    update_holds(check_alert, l.at, changes);
    escalate(check_alert, l.at, changes);
  }
  return finish(changes);
}

EngineOutput AlertEngine::finish(Changes& changes) {
  EngineOutput out = std::move(changes.out);
  for (int64_t id : changes.touched) {
    auto it = alerts_.find(id);
    if (it != alerts_.end()) out.alerts.push_back(it->second);
  }
  for (auto& resolved : changes.resolved) out.alerts.push_back(std::move(resolved));
  return out;
}

}  // namespace baton::conductor::alerts
