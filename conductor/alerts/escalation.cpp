// The escalation half of AlertEngine: which level an unacknowledged hard
// alert has reached, what is due now, and when to look again.
#include <algorithm>

#include "conductor/alerts/alert_engine.hpp"
#include "common/config/yaml_reader.hpp"

namespace baton::conductor::alerts {

namespace {

std::string level_name(const EscalationPolicy& policy, int level) {
  if (level < 0 || level >= static_cast<int>(policy.levels.size())) return "none";
  return "L" + std::to_string(level + 1) + " " + policy.levels[level].name;
}

}  // namespace

void AlertEngine::check_response_time(AlertRecord& alert, TimePoint now, Changes& changes) {
  const auto& policy = config_.policy(alert.severity);
  if (alert.response_breached || alert.acked_at || policy.response_time.count() <= 0 || !alert.hard_since) return;
  if (now < *alert.hard_since + policy.response_time) return;
  alert.response_breached = true;
  event(changes, alert, AlertEventType::response_time_breached,
        std::string("not acknowledged within ") + config::format_duration(policy.response_time) + " (" +
            to_string(alert.severity) + ")",
        now);
}

void AlertEngine::escalate(AlertRecord& alert, TimePoint now, Changes& changes) {
  const auto before = alert.next_escalation_at;
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };

  if (alert.open && alert.hard && alert.hard_since) {
    check_response_time(alert, now, changes);
    const auto& policy = config_.policy(alert.severity);
    if (!alert.response_breached && !alert.acked_at && policy.response_time.count() > 0)
      consider(*alert.hard_since + policy.response_time);

    if (alert.acknowledged) {
      if (alert.ack_until) consider(*alert.ack_until);
    } else if (!alert.held() && !policy.levels.empty()) {
      const int top = static_cast<int>(policy.levels.size()) - 1;
      alert.escalation_level = std::min(alert.escalation_level, top);
      const TimePoint anchor = alert.escalation_anchor.value_or(*alert.hard_since);
      int target = -1;
      for (int i = 0; i <= top; ++i)
        if (anchor + policy.levels[i].after <= now) target = i;

      if (target > alert.escalation_level) {
        // Held while a level came due (silence, maintenance): skip straight to
        // the level that is due now rather than replaying the ones missed.
        const bool first = alert.escalation_level < 0;
        if (!first)
          event(changes, alert, AlertEventType::escalated,
                level_name(policy, alert.escalation_level) + " -> " + level_name(policy, target), now);
        alert.escalation_level = target;
        alert.last_notified_by_level[target] = now;
        notify(changes, alert, policy.levels[target].channels, target,
               first ? NotificationKind::problem : NotificationKind::escalation);
      } else if (alert.escalation_level >= 0) {
        const auto& level = policy.levels[alert.escalation_level];
        auto last = alert.last_notified_by_level.find(alert.escalation_level);
        // No entry: an ack expired and the level starts over (see alert_engine.hpp).
        if (last == alert.last_notified_by_level.end() ||
            (level.repeat.count() > 0 && now >= last->second + level.repeat)) {
          alert.last_notified_by_level[alert.escalation_level] = now;
          notify(changes, alert, level.channels, alert.escalation_level, NotificationKind::problem);
        }
      }
      if (alert.escalation_level < top) consider(anchor + policy.levels[alert.escalation_level + 1].after);
      if (alert.escalation_level >= 0) {
        const auto& level = policy.levels[alert.escalation_level];
        if (level.repeat.count() > 0)
          consider(alert.last_notified_by_level.at(alert.escalation_level) + level.repeat);
      }
    }
  }
  alert.next_escalation_at = next;
  if (before != next) changes.touched.insert(alert.id);
}

Result<EngineOutput> AlertEngine::escalate_now(const std::string& key, const std::string& reason, TimePoint now) {
  saw(now);
  AlertRecord* alert = open_by_key(key);
  if (!alert) return make_error(Errc::not_found, "no open alert " + key);
  Changes changes;
  // An automatic fix that failed confirms the problem: it is no longer soft.
  if (!alert->hard) make_hard(*alert, now, changes);
  const auto& policy = config_.policy(alert->severity);
  if (policy.levels.empty()) {
    event(changes, *alert, AlertEventType::escalated, reason + " (no escalation levels configured)", now);
    escalate(*alert, now, changes);
    return finish(changes);
  }
  const int top = static_cast<int>(policy.levels.size()) - 1;
  const int from = std::min(alert->escalation_level, top);
  const int target = std::min(from + 1, top);
  event(changes, *alert, AlertEventType::escalated,
        reason + ": " + level_name(policy, from) + " -> " + level_name(policy, target), now);
  alert->escalation_anchor = now - policy.levels[target].after;
  if (!alert->held()) {
    alert->escalation_level = target;
    alert->last_notified_by_level[target] = now;
    notify(changes, *alert, policy.levels[target].channels, target,
           from < 0 ? NotificationKind::problem : NotificationKind::escalation);
  }
  escalate(*alert, now, changes);
  return finish(changes);
}

}  // namespace baton::conductor::alerts
