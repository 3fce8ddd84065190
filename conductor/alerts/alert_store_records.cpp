// Silences, maintenance windows, the notification log and remediation runs.
#include <nlohmann/json.hpp>

#include "conductor/alerts/alert_store.hpp"
#include "conductor/alerts/store_columns.hpp"

namespace baton::conductor::alerts {

namespace {


constexpr const char* kRunColumns =
    "id, alert_key, worker_id, check_name, action, params, started_ms, outcome, message, verify_ms, finished_ms";

RemediationRun read_run(const sqlite::Statement& s) {
  RemediationRun r;
  r.id = s.column_int(0);
  r.alert_key = s.column_text(1);
  r.worker_id = s.column_text(2);
  r.check = s.column_text(3);
  r.action = s.column_text(4);
  auto params = nlohmann::json::parse(s.column_text(5), nullptr, false);
  if (params.is_object())
    for (const auto& [k, v] : params.items())
      if (v.is_string()) r.params[k] = v.get<std::string>();
  r.started_at = from_unix_ms(s.column_int(6));
  r.outcome = parse_remediation_outcome(s.column_text(7)).value_or(RemediationRun::Outcome::failed);
  r.message = s.column_text(8);
  r.verify_at = columns::optional_time(s, 9);
  r.finished_at = columns::optional_time(s, 10);
  return r;
}

}  // namespace

Status AlertStore::save_silence(const Silence& x) {
  auto stmt = db_.prepare(
      "INSERT OR REPLACE INTO silences (id, worker, check_glob, label, severity, starts_ms, ends_ms, "
      "expire_on_resolve, author, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  s.bind(1, x.id).bind(2, x.matcher.worker).bind(3, x.matcher.check).bind(4, x.matcher.label);
  if (x.matcher.severity) s.bind(5, to_string(*x.matcher.severity));
  else s.bind_null(5);
  s.bind(6, to_unix_ms(x.starts_at)).bind(7, to_unix_ms(x.ends_at)).bind(8, x.expire_on_resolve ? 1 : 0);
  s.bind(9, x.author).bind(10, x.comment);
  return s.run();
}

Result<std::vector<Silence>> AlertStore::load_silences(TimePoint now) {
  auto stmt = db_.prepare(
      "SELECT id, worker, check_glob, label, severity, starts_ms, ends_ms, expire_on_resolve, author, comment "
      "FROM silences WHERE ends_ms > ?1 ORDER BY id");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, to_unix_ms(now));
  return sqlite::collect<Silence>(**stmt, [](const sqlite::Statement& s) {
    Silence x;
    x.id = s.column_int(0);
    x.matcher.worker = s.column_text(1);
    x.matcher.check = s.column_text(2);
    x.matcher.label = s.column_text(3);
    if (!s.column_is_null(4)) x.matcher.severity = parse_severity(s.column_text(4));
    x.starts_at = from_unix_ms(s.column_int(5));
    x.ends_at = from_unix_ms(s.column_int(6));
    x.expire_on_resolve = s.column_int(7) != 0;
    x.author = s.column_text(8);
    x.comment = s.column_text(9);
    return x;
  });
}

Status AlertStore::save_window(const MaintenanceWindow& w) {
  auto stmt = db_.prepare(
      "INSERT OR REPLACE INTO maintenance_windows (id, workers, labels, starts_ms, ends_ms, author, comment) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, w.id).bind(2, columns::strings_json(w.workers)).bind(3, columns::strings_json(w.labels));
  (*stmt)->bind(4, to_unix_ms(w.starts_at)).bind(5, to_unix_ms(w.ends_at)).bind(6, w.author).bind(7, w.comment);
  return (*stmt)->run();
}

Result<std::vector<MaintenanceWindow>> AlertStore::load_windows(TimePoint now) {
  auto stmt = db_.prepare(
      "SELECT id, workers, labels, starts_ms, ends_ms, author, comment FROM maintenance_windows "
      "WHERE ends_ms > ?1 ORDER BY id");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, to_unix_ms(now));
  return sqlite::collect<MaintenanceWindow>(**stmt, [](const sqlite::Statement& s) {
    MaintenanceWindow w;
    w.id = s.column_int(0);
    w.workers = columns::parse_strings(s.column_text(1));
    w.labels = columns::parse_strings(s.column_text(2));
    w.starts_at = from_unix_ms(s.column_int(3));
    w.ends_at = from_unix_ms(s.column_int(4));
    w.author = s.column_text(5);
    w.comment = s.column_text(6);
    return w;
  });
}

Status AlertStore::record_notification(const NotificationAttempt& n) {
  auto stmt = db_.prepare(
      "INSERT INTO notifications (alert_id, channel, level, kind, attempt, outcome, error, at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, n.alert_id).bind(2, n.channel).bind(3, n.level).bind(4, to_string(n.kind));
  (*stmt)->bind(5, n.attempt).bind(6, to_string(n.outcome)).bind(7, n.error).bind(8, to_unix_ms(n.at));
  return (*stmt)->run();
}

Result<std::vector<NotificationAttempt>> AlertStore::notifications_of(int64_t alert_id) {
  auto stmt = db_.prepare(
      "SELECT alert_id, channel, level, kind, attempt, outcome, error, at_ms FROM notifications "
      "WHERE alert_id = ?1 ORDER BY id");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, alert_id);
  return sqlite::collect<NotificationAttempt>(**stmt, [](const sqlite::Statement& s) {
    NotificationAttempt n;
    n.alert_id = s.column_int(0);
    n.channel = s.column_text(1);
    n.level = static_cast<int>(s.column_int(2));
    n.kind = parse_notification_kind(s.column_text(3)).value_or(NotificationKind::problem);
    n.attempt = static_cast<unsigned>(s.column_int(4));
    n.outcome = parse_notification_outcome(s.column_text(5)).value_or(NotificationAttempt::Outcome::failed);
    n.error = s.column_text(6);
    n.at = from_unix_ms(s.column_int(7));
    return n;
  });
}

Status AlertStore::save_remediation(const RemediationRun& r) {
  auto stmt = db_.prepare(std::string("INSERT OR REPLACE INTO remediation_runs (") + kRunColumns +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  s.bind(1, r.id).bind(2, r.alert_key).bind(3, r.worker_id).bind(4, r.check).bind(5, r.action);
  s.bind(6, nlohmann::json(r.params).dump()).bind(7, to_unix_ms(r.started_at)).bind(8, to_string(r.outcome));
  s.bind(9, r.message);
  columns::bind_time(s, 10, r.verify_at);
  columns::bind_time(s, 11, r.finished_at);
  return s.run();
}

Result<std::vector<RemediationRun>> AlertStore::list_remediations(int limit) {
  auto stmt = db_.prepare(std::string("SELECT ") + kRunColumns + " FROM remediation_runs ORDER BY id DESC LIMIT ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, limit);
  return sqlite::collect<RemediationRun>(**stmt, read_run);
}

Result<std::vector<RemediationRun>> AlertStore::remediations_for_restore(TimePoint since) {
  auto stmt = db_.prepare(std::string("SELECT ") + kRunColumns +
                          " FROM remediation_runs WHERE started_ms >= ?1 OR outcome IN "
                          "('running', 'awaiting_verification', 'verifying') ORDER BY id");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, to_unix_ms(since));
  return sqlite::collect<RemediationRun>(**stmt, read_run);
}

Result<int64_t> AlertStore::max_remediation_id() {
  auto stmt = db_.prepare("SELECT COALESCE(MAX(id), 0) FROM remediation_runs");
  if (!stmt) return stmt.error();
  auto row = (*stmt)->step();
  if (!row) return row.error();
  return (*stmt)->column_int(0);
}

}  // namespace baton::conductor::alerts
