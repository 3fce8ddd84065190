#include <algorithm>

#include "conductor/alerts/alert_engine.hpp"

namespace baton::conductor::alerts {

namespace {

template <class T>
bool set_flag(T& field, T value) {
  if (field == value) return false;
  field = value;
  return true;
}

}  // namespace

void AlertEngine::update_holds(AlertRecord& alert, TimePoint now, Changes& changes) {
  const bool silenced = std::any_of(silences_.begin(), silences_.end(),
                                    [&](const Silence& s) { return s.active(now) && s.matcher.matches(alert); });
  const bool maintenance =
      !alert.worker_id.empty() && std::any_of(windows_.begin(), windows_.end(), [&](const MaintenanceWindow& w) {
        return w.holds(alert.worker_id, alert.labels, now);
      });
  const bool dependent = alert.kind == AlertKind::check && offline_workers_.count(alert.worker_id) > 0;
  if (set_flag(alert.silenced, silenced))
    event(changes, alert, silenced ? AlertEventType::silenced : AlertEventType::unsilenced, "", now);
  if (set_flag(alert.in_maintenance, maintenance))
    event(changes, alert, maintenance ? AlertEventType::maintenance_started : AlertEventType::maintenance_ended, "",
          now);
  if (set_flag(alert.dependent, dependent))
    event(changes, alert, dependent ? AlertEventType::dependent : AlertEventType::independent,
          dependent ? "worker " + alert.worker_id + " is offline; its alert notifies instead"
                    : "worker " + alert.worker_id + " is back",
          now);
}

Result<EngineOutput> AlertEngine::acknowledge(int64_t alert_id, const std::string& author,
                                              const std::string& comment, std::optional<TimePoint> until,
                                              TimePoint now) {
  saw(now);
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return make_error(Errc::not_found, "no open alert " + std::to_string(alert_id));
  Changes changes;
  AlertRecord& alert = it->second;
  alert.acknowledged = true;
  alert.ack_author = author;
  alert.ack_comment = comment;
  alert.acked_at = now;
  alert.ack_until = until;
  event(changes, alert, AlertEventType::acknowledged, author + ": " + comment, now);
  notify_told_channels(changes, alert, NotificationKind::acknowledged);
  escalate(alert, now, changes);
  return finish(changes);
}

void AlertEngine::expire_ack(AlertRecord& alert, TimePoint now, Changes& changes) {
  alert.acknowledged = false;
  alert.ack_until.reset();
  event(changes, alert, AlertEventType::ack_expired, "acknowledgement by " + alert.ack_author + " expired", now);
  const auto& levels = config_.policy(alert.severity).levels;
  if (alert.escalation_level >= 0 && !levels.empty()) {
    const int level = std::min<int>(alert.escalation_level, static_cast<int>(levels.size()) - 1);
    alert.escalation_anchor = now - levels[level].after;
    alert.last_notified_by_level.erase(alert.escalation_level);
  } else {
    alert.escalation_anchor = now;
  }
}

EngineOutput AlertEngine::add_silence(Silence silence, TimePoint now) {
  saw(now);
  Changes changes;
  silence.id = next_silence_id_++;
  silences_.push_back(silence);
  changes.out.silences.push_back(silence);
  reevaluate(now, changes);
  return finish(changes);
}

Result<EngineOutput> AlertEngine::expire_silence(int64_t silence_id, TimePoint now) {
  saw(now);
  auto it = std::find_if(silences_.begin(), silences_.end(), [&](const Silence& s) { return s.id == silence_id; });
  if (it == silences_.end()) return make_error(Errc::not_found, "no active silence " + std::to_string(silence_id));
  it->ends_at = std::min(it->ends_at, now);
  Changes changes;
  changes.out.silences.push_back(*it);
  reevaluate(now, changes);
  return finish(changes);
}

EngineOutput AlertEngine::add_maintenance(MaintenanceWindow window, TimePoint now) {
  saw(now);
  Changes changes;
  window.id = next_window_id_++;
  windows_.push_back(window);
  changes.out.maintenance_windows.push_back(window);
  reevaluate(now, changes);
  return finish(changes);
}

Result<EngineOutput> AlertEngine::end_maintenance(int64_t window_id, TimePoint now) {
  saw(now);
  auto it = std::find_if(windows_.begin(), windows_.end(), [&](const MaintenanceWindow& w) { return w.id == window_id; });
  if (it == windows_.end()) return make_error(Errc::not_found, "no maintenance window " + std::to_string(window_id));
  it->ends_at = std::min(it->ends_at, now);
  Changes changes;
  changes.out.maintenance_windows.push_back(*it);
  reevaluate(now, changes);
  return finish(changes);
}

bool AlertEngine::in_maintenance(const std::string& worker_id, TimePoint now) const {
  static const std::vector<std::string> kNoLabels;
  auto labels = worker_labels_.find(worker_id);
  const auto& worker_labels = labels == worker_labels_.end() ? kNoLabels : labels->second;
  return std::any_of(windows_.begin(), windows_.end(),
                     [&](const MaintenanceWindow& w) { return w.holds(worker_id, worker_labels, now); });
}

EngineOutput AlertEngine::tick(TimePoint now) {
  saw(now);
  Changes changes;
  reevaluate(now, changes);
  return finish(changes);
}

void AlertEngine::reevaluate(TimePoint now, Changes& changes) {
  for (auto& [id, alert] : alerts_) {
    if (alert.acknowledged && alert.ack_until && now >= *alert.ack_until) expire_ack(alert, now, changes);
    update_holds(alert, now, changes);
    escalate(alert, now, changes);
  }
  // Ended ones are in the store already; the engine only needs the live ones.
  std::erase_if(silences_, [&](const Silence& s) { return s.ends_at <= now; });
  std::erase_if(windows_, [&](const MaintenanceWindow& w) { return w.ends_at <= now; });
}

std::optional<TimePoint> AlertEngine::next_wakeup() const {
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  auto consider_future = [&](TimePoint t) {
    if (t > latest_) consider(t);
  };
  for (const auto& [id, alert] : alerts_) {
    if (alert.next_escalation_at) consider(*alert.next_escalation_at);
    if (alert.acknowledged && alert.ack_until) consider(*alert.ack_until);
  }
  for (const auto& s : silences_) {
    consider_future(s.starts_at);
    consider(s.ends_at);
  }
  for (const auto& w : windows_) {
    consider_future(w.starts_at);
    consider(w.ends_at);
  }
  return next;
}

void AlertEngine::restore(EngineState state) {
  alerts_.clear();
  by_key_.clear();
  flap_.clear();
  offline_workers_.clear();
  for (auto& alert : state.open_alerts) {
    if (!alert.worker_id.empty() && !alert.labels.empty()) worker_labels_[alert.worker_id] = alert.labels;
    if (alert.kind == AlertKind::worker_offline) offline_workers_.insert(alert.worker_id);
    if (alert.kind == AlertKind::check)
      flap_.insert_or_assign(alert.key, FlapDetector::restore(config_.flap_window, alert.flap_history, alert.flapping));
    by_key_[alert.key] = alert.id;
    alerts_[alert.id] = std::move(alert);
  }
  silences_ = std::move(state.silences);
  windows_ = std::move(state.maintenance_windows);
  next_alert_id_ = state.max_alert_id + 1;
  next_silence_id_ = state.max_silence_id + 1;
  next_window_id_ = state.max_window_id + 1;
}

}  // namespace baton::conductor::alerts
