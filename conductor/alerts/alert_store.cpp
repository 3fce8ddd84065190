#include "conductor/alerts/alert_store.hpp"

#include <nlohmann/json.hpp>

#include "conductor/alerts/store_columns.hpp"

namespace baton::conductor::alerts {

namespace {

constexpr const char* kAlertColumns =
    "id, key, kind, worker_id, check_name, case_id, labels, severity, state, hard, check_state, non_ok_count, "
    "ok_count, flapping, flap_percent, flap_history, silenced, in_maintenance, dependent, acknowledged, "
    "ack_author, ack_comment, acked_ms, ack_until_ms, escalation_level, hard_since_ms, escalation_anchor_ms, "
    "next_escalation_ms, last_notified, response_breached, notified_channels, first_seen_ms, last_seen_ms, "
    "resolved_ms, last_output";

std::string last_notified_json(const std::map<int, TimePoint>& last) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [level, at] : last) j[std::to_string(level)] = to_unix_ms(at);
  return j.dump();
}

std::map<int, TimePoint> parse_last_notified(const std::string& text) {
  std::map<int, TimePoint> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [level, ms] : j.items())
    if (ms.is_number_integer()) out[std::stoi(level)] = from_unix_ms(ms.get<int64_t>());
  return out;
}

AlertRecord read_alert(const sqlite::Statement& s) {
  AlertRecord a;
  a.id = s.column_int(0);
  a.key = s.column_text(1);
  a.kind = parse_alert_kind(s.column_text(2)).value_or(AlertKind::check);
  a.worker_id = s.column_text(3);
  a.check = s.column_text(4);
  a.case_id = s.column_text(5);
  a.labels = columns::parse_strings(s.column_text(6));
  a.severity = parse_severity(s.column_text(7)).value_or(Severity::medium);
  a.open = s.column_text(8) == "open";
  a.hard = s.column_int(9) != 0;
  a.last_state = parse_check_state(s.column_text(10)).value_or(CheckState::unknown);
  a.non_ok_count = static_cast<int>(s.column_int(11));
  a.ok_count = static_cast<int>(s.column_int(12));
  a.flapping = s.column_int(13) != 0;
  a.flap_percent = s.column_double(14);
  a.flap_history = s.column_text(15);
  a.silenced = s.column_int(16) != 0;
  a.in_maintenance = s.column_int(17) != 0;
  a.dependent = s.column_int(18) != 0;
  a.acknowledged = s.column_int(19) != 0;
  a.ack_author = s.column_text(20);
  a.ack_comment = s.column_text(21);
  a.acked_at = columns::optional_time(s, 22);
  a.ack_until = columns::optional_time(s, 23);
  a.escalation_level = static_cast<int>(s.column_int(24));
  a.hard_since = columns::optional_time(s, 25);
  a.escalation_anchor = columns::optional_time(s, 26);
  a.next_escalation_at = columns::optional_time(s, 27);
  a.last_notified_by_level = parse_last_notified(s.column_text(28));
  a.response_breached = s.column_int(29) != 0;
  for (auto& channel : columns::parse_strings(s.column_text(30))) a.notified_channels.insert(channel);
  a.first_seen = from_unix_ms(s.column_int(31));
  a.last_seen = from_unix_ms(s.column_int(32));
  a.resolved_at = columns::optional_time(s, 33);
  a.last_output = s.column_text(34);
  return a;
}

}  // namespace

Status AlertStore::save_alert(const AlertRecord& a) {
  // An upsert, not INSERT OR REPLACE: a replace deletes the row under the
  // events and notifications that reference it, and would silently drop
  // another open row with the same key instead of failing.
  static const std::string sql = [] {
    std::string text = std::string("INSERT INTO alerts (") + kAlertColumns + ") VALUES (";
    for (int i = 1; i <= 35; ++i) text += (i > 1 ? ", ?" : "?") + std::to_string(i);
    text += ") ON CONFLICT (id) DO UPDATE SET ";
    std::string columns = kAlertColumns;
    bool first = true;
    for (size_t start = 0; start < columns.size();) {
      size_t end = columns.find(',', start);
      if (end == std::string::npos) end = columns.size();
      std::string column = columns.substr(start, end - start);
      column.erase(0, column.find_first_not_of(' '));
      if (column != "id") {
        text += (first ? "" : ", ") + column + " = excluded." + column;
        first = false;
      }
      start = end + 1;
    }
    return text;
  }();
  auto stmt = db_.prepare(sql);
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  s.bind(1, a.id).bind(2, a.key).bind(3, to_string(a.kind)).bind(4, a.worker_id).bind(5, a.check);
  s.bind(6, a.case_id).bind(7, columns::strings_json(a.labels)).bind(8, to_string(a.severity));
  s.bind(9, a.open ? "open" : "resolved").bind(10, a.hard ? 1 : 0).bind(11, to_string(a.last_state));
  s.bind(12, a.non_ok_count).bind(13, a.ok_count).bind(14, a.flapping ? 1 : 0).bind(15, a.flap_percent);
  s.bind(16, a.flap_history).bind(17, a.silenced ? 1 : 0).bind(18, a.in_maintenance ? 1 : 0);
  s.bind(19, a.dependent ? 1 : 0).bind(20, a.acknowledged ? 1 : 0).bind(21, a.ack_author).bind(22, a.ack_comment);
  columns::bind_time(s, 23, a.acked_at);
  columns::bind_time(s, 24, a.ack_until);
  s.bind(25, a.escalation_level);
  columns::bind_time(s, 26, a.hard_since);
  columns::bind_time(s, 27, a.escalation_anchor);
  columns::bind_time(s, 28, a.next_escalation_at);
  s.bind(29, last_notified_json(a.last_notified_by_level)).bind(30, a.response_breached ? 1 : 0);
  s.bind(31, columns::strings_json({a.notified_channels.begin(), a.notified_channels.end()}));
  s.bind(32, to_unix_ms(a.first_seen)).bind(33, to_unix_ms(a.last_seen));
  columns::bind_time(s, 34, a.resolved_at);
  s.bind(35, a.last_output);
  return s.run();
}

Status AlertStore::save(const EngineOutput& output) {
  // Resolved rows first: a key may be resolved and reopened in one batch,
  // and only one open row per key is allowed.
  for (const auto& alert : output.alerts)
    if (!alert.open)
      if (auto st = save_alert(alert); !st) return st;
  for (const auto& alert : output.alerts)
    if (alert.open)
      if (auto st = save_alert(alert); !st) return st;
  for (const auto& e : output.events) {
    auto stmt = db_.prepare("INSERT INTO alert_events (alert_id, at_ms, type, message) VALUES (?1, ?2, ?3, ?4)");
    if (!stmt) return stmt.error();
    (*stmt)->bind(1, e.alert_id).bind(2, to_unix_ms(e.at)).bind(3, to_string(e.type)).bind(4, e.message);
    if (auto st = (*stmt)->run(); !st) return st;
  }
  for (const auto& silence : output.silences)
    if (auto st = save_silence(silence); !st) return st;
  for (const auto& window : output.maintenance_windows)
    if (auto st = save_window(window); !st) return st;
  return {};
}

Result<std::vector<AlertRecord>> AlertStore::list_alerts(bool open_only, int limit) {
  auto stmt = db_.prepare(std::string("SELECT ") + kAlertColumns +
                          " FROM alerts WHERE (?1 = 0 OR state = 'open') ORDER BY id DESC LIMIT ?2");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, open_only ? 1 : 0).bind(2, limit);
  return sqlite::collect<AlertRecord>(**stmt, read_alert);
}

Result<std::vector<AlertEvent>> AlertStore::events_of(int64_t alert_id) {
  auto stmt = db_.prepare("SELECT alert_id, at_ms, type, message FROM alert_events WHERE alert_id = ?1 ORDER BY id");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, alert_id);
  return sqlite::collect<AlertEvent>(**stmt, [](const sqlite::Statement& s) {
    return AlertEvent{s.column_int(0), parse_alert_event_type(s.column_text(2)).value_or(AlertEventType::opened),
                      s.column_text(3), from_unix_ms(s.column_int(1))};
  });
}

Result<EngineState> AlertStore::load(TimePoint now) {
  EngineState state;
  auto open = list_alerts(true, -1);
  if (!open) return open.error();
  state.open_alerts = std::move(*open);
  auto silences = load_silences(now);
  if (!silences) return silences.error();
  state.silences = std::move(*silences);
  auto windows = load_windows(now);
  if (!windows) return windows.error();
  state.maintenance_windows = std::move(*windows);
  for (const char* table : {"alerts", "silences", "maintenance_windows"}) {
    auto stmt = db_.prepare(std::string("SELECT COALESCE(MAX(id), 0) FROM ") + table);
    if (!stmt) return stmt.error();
    auto row = (*stmt)->step();
    if (!row) return row.error();
    const int64_t max = (*stmt)->column_int(0);
    if (std::string(table) == "alerts") state.max_alert_id = max;
    else if (std::string(table) == "silences") state.max_silence_id = max;
    else state.max_window_id = max;
  }
  return state;
}

}  // namespace baton::conductor::alerts
