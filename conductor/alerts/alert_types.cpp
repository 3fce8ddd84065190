#include "conductor/alerts/alert_types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace baton::conductor::alerts {

namespace {

template <class E, size_t N>
std::optional<E> parse_named(std::string_view text, const std::array<std::pair<E, const char*>, N>& names) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [value, name] : names)
    if (lower == name) return value;
  return std::nullopt;
}

template <class E, size_t N>
const char* name_of(E value, const std::array<std::pair<E, const char*>, N>& names) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

constexpr std::array<std::pair<CheckState, const char*>, 4> kCheckStates{{
    {CheckState::ok, "ok"}, {CheckState::warning, "warning"},
    {CheckState::critical, "critical"}, {CheckState::unknown, "unknown"}}};
constexpr std::array<std::pair<Severity, const char*>, 4> kSeverities{{
    {Severity::low, "low"}, {Severity::medium, "medium"},
    {Severity::high, "high"}, {Severity::critical, "critical"}}};
constexpr std::array<std::pair<AlertKind, const char*>, 3> kAlertKinds{{
    {AlertKind::check, "check"}, {AlertKind::case_problem, "case"},
    {AlertKind::worker_offline, "worker_offline"}}};
constexpr std::array<std::pair<NotificationKind, const char*>, 5> kNotificationKinds{{
    {NotificationKind::problem, "problem"}, {NotificationKind::escalation, "escalation"},
    {NotificationKind::resolved, "resolved"}, {NotificationKind::acknowledged, "acknowledged"},
    {NotificationKind::flapping, "flapping"}}};
constexpr std::array<std::pair<AlertEventType, const char*>, 17> kEventTypes{{
    {AlertEventType::opened, "opened"},
    {AlertEventType::became_hard, "became_hard"},
    {AlertEventType::state_changed, "state_changed"},
    {AlertEventType::resolved, "resolved"},
    {AlertEventType::flapping_started, "flapping_started"},
    {AlertEventType::flapping_stopped, "flapping_stopped"},
    {AlertEventType::silenced, "silenced"},
    {AlertEventType::unsilenced, "unsilenced"},
    {AlertEventType::maintenance_started, "maintenance_started"},
    {AlertEventType::maintenance_ended, "maintenance_ended"},
    {AlertEventType::dependent, "dependent"},
    {AlertEventType::independent, "independent"},
    {AlertEventType::acknowledged, "acknowledged"},
    {AlertEventType::ack_expired, "ack_expired"},
    {AlertEventType::escalated, "escalated"},
    {AlertEventType::response_time_breached, "response_time_breached"},
    {AlertEventType::remediation, "remediation"}}};
constexpr std::array<std::pair<NotificationAttempt::Outcome, const char*>, 4> kOutcomes{{
    {NotificationAttempt::Outcome::sent, "sent"}, {NotificationAttempt::Outcome::failed, "failed"},
    {NotificationAttempt::Outcome::rate_limited, "rate_limited"},
    {NotificationAttempt::Outcome::abandoned, "abandoned"}}};

}  // namespace

const char* to_string(CheckState state) {
  switch (state) {
    case CheckState::ok: return "OK";
    case CheckState::warning: return "WARNING";
    case CheckState::critical: return "CRITICAL";
    case CheckState::unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}
const char* to_string(Severity severity) { return name_of(severity, kSeverities); }
const char* to_string(AlertKind kind) { return name_of(kind, kAlertKinds); }
const char* to_string(NotificationKind kind) { return name_of(kind, kNotificationKinds); }
const char* to_string(AlertEventType type) { return name_of(type, kEventTypes); }
const char* to_string(NotificationAttempt::Outcome outcome) { return name_of(outcome, kOutcomes); }
std::optional<NotificationAttempt::Outcome> parse_notification_outcome(std::string_view text) {
  return parse_named(text, kOutcomes);
}

std::optional<CheckState> parse_check_state(std::string_view text) { return parse_named(text, kCheckStates); }
std::optional<Severity> parse_severity(std::string_view text) { return parse_named(text, kSeverities); }
std::optional<AlertKind> parse_alert_kind(std::string_view text) { return parse_named(text, kAlertKinds); }
std::optional<NotificationKind> parse_notification_kind(std::string_view text) {
  return parse_named(text, kNotificationKinds);
}
std::optional<AlertEventType> parse_alert_event_type(std::string_view text) {
  return parse_named(text, kEventTypes);
}

}  // namespace baton::conductor::alerts
