#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.hpp"

namespace baton::conductor::alerts {

enum class CheckState { ok, warning, critical, unknown };
enum class Severity { low, medium, high, critical };
enum class AlertKind { check, case_problem, worker_offline };
enum class NotificationKind { problem, escalation, resolved, acknowledged, flapping };

const char* to_string(CheckState state);
const char* to_string(Severity severity);
const char* to_string(AlertKind kind);
const char* to_string(NotificationKind kind);
// Accept the upper-case names the worker reports as well as lower case.
std::optional<CheckState> parse_check_state(std::string_view text);
std::optional<Severity> parse_severity(std::string_view text);
std::optional<AlertKind> parse_alert_kind(std::string_view text);
std::optional<NotificationKind> parse_notification_kind(std::string_view text);

struct CheckObservation {
  std::string worker_id;
  std::string check;
  CheckState state = CheckState::ok;
  std::string output;
  std::vector<std::string> labels;  // the worker's labels
  TimePoint at;
};

struct CaseProblem {
  enum class Kind { failed, stuck, recovered };  // recovered: completed, cancelled or moving again
  std::string case_id;
  Kind kind = Kind::failed;
  std::string message;
  TimePoint at;
};

struct WorkerLiveness {
  std::string worker_id;
  bool online = true;
  TimePoint at;
};

// One alert row. The engine keeps the open ones in memory; a resolved alert is
// handed to the caller once and then forgotten (the store keeps it).
struct AlertRecord {
  int64_t id = 0;
  std::string key;  // dedup key: one open alert per key
  AlertKind kind = AlertKind::check;
  std::string worker_id;
  std::string check;
  std::string case_id;
  std::vector<std::string> labels;
  Severity severity = Severity::medium;
  CheckState last_state = CheckState::unknown;
  bool open = true;
  bool hard = false;
  int non_ok_count = 0;  // consecutive non-OK results
  int ok_count = 0;      // consecutive OK results while open
  bool flapping = false;
  double flap_percent = 0;
  std::string flap_history;  // FlapDetector::serialize()
  bool silenced = false;
  bool in_maintenance = false;
  bool dependent = false;  // its worker is offline; the worker alert speaks for it

  bool acknowledged = false;
  std::string ack_author;
  std::string ack_comment;
  std::optional<TimePoint> acked_at;
  std::optional<TimePoint> ack_until;

  // Escalation: level is the highest level notified (-1: none yet). Delays
  // count from escalation_anchor, which is hard_since unless an expired ack
  // restarted the climb (see AlertEngine::tick).
  int escalation_level = -1;
  std::optional<TimePoint> hard_since;
  std::optional<TimePoint> escalation_anchor;
  std::optional<TimePoint> next_escalation_at;
  std::map<int, TimePoint> last_notified_by_level;
  bool response_breached = false;
  std::set<std::string> notified_channels;  // told about the problem; they hear the resolve

  TimePoint first_seen;
  TimePoint last_seen;
  std::optional<TimePoint> resolved_at;
  std::string last_output;

  // Nothing reaches a channel while any of these holds (resolves excepted).
  bool held() const { return silenced || in_maintenance || dependent || flapping; }
};

enum class AlertEventType {
  opened,
  became_hard,
  state_changed,
  resolved,
  flapping_started,
  flapping_stopped,
  silenced,
  unsilenced,
  maintenance_started,
  maintenance_ended,
  dependent,
  independent,
  acknowledged,
  ack_expired,
  escalated,
  response_time_breached,
  remediation,
};
const char* to_string(AlertEventType type);
std::optional<AlertEventType> parse_alert_event_type(std::string_view text);

struct AlertEvent {
  int64_t alert_id = 0;
  AlertEventType type = AlertEventType::opened;
  std::string message;
  TimePoint at;
};

struct NotificationIntent {
  int64_t alert_id = 0;
  std::string channel;
  int level = 0;
  NotificationKind kind = NotificationKind::problem;
};

// One delivery attempt of one intent, as the notifications table keeps it.
struct NotificationAttempt {
  enum class Outcome { sent, failed, rate_limited, abandoned };
  int64_t alert_id = 0;
  std::string channel;
  int level = 0;
  NotificationKind kind = NotificationKind::problem;
  unsigned attempt = 1;
  Outcome outcome = Outcome::sent;
  std::string error;
  TimePoint at;
};
const char* to_string(NotificationAttempt::Outcome outcome);
std::optional<NotificationAttempt::Outcome> parse_notification_outcome(std::string_view text);

}  // namespace baton::conductor::alerts
