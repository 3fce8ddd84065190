#include <strings.h>

#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

namespace {

constexpr const char* kStateNames[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

constexpr const char* kCheckColumns =
    "worker_id, check_name, type, state, output, output_truncated, perfdata, duration_ms, at_ms, command_id, "
    "schedule";

CheckResultRecord read_check(const sqlite::Statement& s) {
  CheckResultRecord r;
  r.worker_id = s.column_text(0);
  r.check = s.column_text(1);
  r.type = s.column_text(2);
  r.state = parse_check_state(s.column_text(3)).value_or(CheckState::unknown);
  r.output = s.column_text(4);
  r.output_truncated = s.column_int(5) != 0;
  r.perfdata_json = s.column_text(6);
  r.duration = std::chrono::milliseconds(s.column_int(7));
  r.at = from_unix_ms(s.column_int(8));
  r.command_id = s.column_text(9);
  r.schedule = s.column_text(10);
  return r;
}

// The WHERE clause shared by the latest and history reads; empty filters
// match everything (bound as NULL).
constexpr const char* kCheckWhere =
    " WHERE (?1 IS NULL OR worker_id = ?1) AND (?2 IS NULL OR check_name = ?2) AND (?3 IS NULL OR state = ?3)"
    " AND (?4 IS NULL OR command_id = ?4)";

// An empty filter value matches everything: bound as NULL for `?n IS NULL`.
void bind_filter(sqlite::Statement& s, int index, const std::string& value) {
  if (value.empty()) s.bind_null(index);
  else s.bind(index, value);
}

void bind_check_filter(sqlite::Statement& s, const CheckFilter& f) {
  bind_filter(s, 1, f.worker_id);
  bind_filter(s, 2, f.check);
  bind_filter(s, 3, f.state ? std::string(to_string(*f.state)) : std::string());
  bind_filter(s, 4, f.command_id);
  s.bind(5, f.limit);
}

template <class Row, class Read>
Result<std::vector<Row>> read_all(sqlite::Statement& s, Read read) {
  std::vector<Row> rows;
  while (true) {
    auto more = s.step();
    if (!more) return more.error();
    if (!*more) return rows;
    rows.push_back(read(s));
  }
}

}  // namespace

const char* to_string(CheckState state) { return kStateNames[static_cast<int>(state)]; }

std::optional<CheckState> parse_check_state(const std::string& text) {
  for (int i = 0; i < 4; ++i)
    if (strcasecmp(text.c_str(), kStateNames[i]) == 0) return static_cast<CheckState>(i);
  return std::nullopt;
}

Result<CheckRecorded> ConductorStore::record_check_result(CheckResultRecord& r) {
  auto insert = db_.prepare(std::string("INSERT OR IGNORE INTO check_history (") + kCheckColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!insert) return insert.error();
  (*insert)->bind(1, r.worker_id).bind(2, r.check).bind(3, r.type).bind(4, to_string(r.state)).bind(5, r.output)
      .bind(6, r.output_truncated ? 1 : 0).bind(7, r.perfdata_json).bind(8, static_cast<int64_t>(r.duration.count()))
      .bind(9, to_unix_ms(r.at)).bind(10, r.command_id).bind(11, r.schedule);
  if (auto st = (*insert)->run(); !st) return st.error();
  if (db_.changes() == 0) return CheckRecorded::duplicate;

  auto previous = db_.prepare(
      "SELECT state, state_since_ms, consecutive, at_ms FROM check_latest WHERE worker_id = ?1 AND check_name = ?2");
  if (!previous) return previous.error();
  (*previous)->bind(1, r.worker_id).bind(2, r.check);
  auto found = (*previous)->step();
  if (!found) return found.error();
  r.state_since = r.at;
  r.consecutive = 1;
  if (*found) {
    const auto prev_at = from_unix_ms((*previous)->column_int(3));
    // A result older than the latest one (reordered delivery) goes to the
    // history only.
    if (r.at < prev_at) return CheckRecorded::history_only;
    if ((*previous)->column_text(0) == to_string(r.state)) {
      r.state_since = from_unix_ms((*previous)->column_int(1));
      r.consecutive = static_cast<unsigned>((*previous)->column_int(2)) + 1;
    }
  }
  auto upsert = db_.prepare(std::string("INSERT OR REPLACE INTO check_latest (") + kCheckColumns +
                            ", state_since_ms, consecutive) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                            "?12, ?13)");
  if (!upsert) return upsert.error();
  (*upsert)->bind(1, r.worker_id).bind(2, r.check).bind(3, r.type).bind(4, to_string(r.state)).bind(5, r.output)
      .bind(6, r.output_truncated ? 1 : 0).bind(7, r.perfdata_json).bind(8, static_cast<int64_t>(r.duration.count()))
      .bind(9, to_unix_ms(r.at)).bind(10, r.command_id).bind(11, r.schedule).bind(12, to_unix_ms(r.state_since))
      .bind(13, r.consecutive);
  if (auto st = (*upsert)->run(); !st) return st.error();
  return CheckRecorded::latest;
}

Result<std::vector<CheckResultRecord>> ConductorStore::latest_checks(const CheckFilter& filter) {
  auto stmt = db_.prepare(std::string("SELECT ") + kCheckColumns + ", state_since_ms, consecutive FROM check_latest" +
                          kCheckWhere + " ORDER BY worker_id, check_name LIMIT ?5");
  if (!stmt) return stmt.error();
  bind_check_filter(**stmt, filter);
  return read_all<CheckResultRecord>(**stmt, [](const sqlite::Statement& s) {
    CheckResultRecord r = read_check(s);
    r.state_since = from_unix_ms(s.column_int(11));
    r.consecutive = static_cast<unsigned>(s.column_int(12));
    return r;
  });
}

Result<std::vector<CheckResultRecord>> ConductorStore::check_history(const CheckFilter& filter) {
  auto stmt = db_.prepare(std::string("SELECT ") + kCheckColumns + " FROM check_history" + kCheckWhere +
                          " ORDER BY id DESC LIMIT ?5");
  if (!stmt) return stmt.error();
  bind_check_filter(**stmt, filter);
  return read_all<CheckResultRecord>(**stmt, read_check);
}

Status ConductorStore::insert_maintenance_run(const MaintenanceRunRecord& r) {
  auto stmt = db_.prepare(
      "INSERT OR IGNORE INTO maintenance_runs (command_id, worker_id, task, action, schedule, dry_run, status, "
      "requested_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'REQUESTED', ?7)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, r.command_id).bind(2, r.worker_id).bind(3, r.task).bind(4, r.action).bind(5, r.schedule)
      .bind(6, r.dry_run ? 1 : 0).bind(7, to_unix_ms(r.requested_at));
  return (*stmt)->run();
}

Result<bool> ConductorStore::finish_maintenance_run(const MaintenanceRunRecord& r) {
  // The request row may be missing (its batch was lost in a crash): the
  // result still counts.
  if (auto st = insert_maintenance_run(r); !st) return st.error();
  auto stmt = db_.prepare(
      "UPDATE maintenance_runs SET status = ?2, message = ?3, details = ?4, metrics = ?5, duration_ms = ?6, "
      "finished_ms = ?7, dry_run = ?8 WHERE command_id = ?1 AND status = 'REQUESTED'");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, r.command_id).bind(2, r.status).bind(3, r.message).bind(4, r.details_json).bind(5, r.metrics_json)
      .bind(6, static_cast<int64_t>(r.duration.count())).bind(7, to_unix_ms(r.finished_at.value_or(r.requested_at)))
      .bind(8, r.dry_run ? 1 : 0);
  if (auto st = (*stmt)->run(); !st) return st.error();
  return db_.changes() > 0;
}

Result<std::vector<MaintenanceRunRecord>> ConductorStore::maintenance_runs(const MaintenanceFilter& f) {
  auto stmt = db_.prepare(
      "SELECT command_id, worker_id, task, action, schedule, dry_run, status, message, details, metrics, "
      "duration_ms, requested_ms, finished_ms FROM maintenance_runs WHERE (?1 IS NULL OR worker_id = ?1) AND "
      "(?2 IS NULL OR task = ?2) AND (?3 IS NULL OR command_id = ?3) ORDER BY requested_ms DESC LIMIT ?4");
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  bind_filter(s, 1, f.worker_id);
  bind_filter(s, 2, f.task);
  bind_filter(s, 3, f.command_id);
  s.bind(4, f.limit);
  return read_all<MaintenanceRunRecord>(s, [](const sqlite::Statement& s) {
    MaintenanceRunRecord r;
    r.command_id = s.column_text(0);
    r.worker_id = s.column_text(1);
    r.task = s.column_text(2);
    r.action = s.column_text(3);
    r.schedule = s.column_text(4);
    r.dry_run = s.column_int(5) != 0;
    r.status = s.column_text(6);
    r.message = s.column_text(7);
    r.details_json = s.column_text(8);
    r.metrics_json = s.column_text(9);
    r.duration = std::chrono::milliseconds(s.column_int(10));
    r.requested_at = from_unix_ms(s.column_int(11));
    if (!s.column_is_null(12)) r.finished_at = from_unix_ms(s.column_int(12));
    return r;
  });
}

namespace {
Result<int64_t> prune(sqlite::Database& db, const std::string& sql, TimePoint before) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, to_unix_ms(before));
  if (auto st = (*stmt)->run(); !st) return st.error();
  return db.changes();
}
}  // namespace

Result<int64_t> ConductorStore::prune_check_history(TimePoint before) {
  return prune(db_, "DELETE FROM check_history WHERE at_ms < ?1", before);
}
Result<int64_t> ConductorStore::prune_maintenance_runs(TimePoint before) {
  return prune(db_, "DELETE FROM maintenance_runs WHERE requested_ms < ?1", before);
}
Result<int64_t> ConductorStore::prune_case_problems(TimePoint before) {
  return prune(db_, "DELETE FROM case_problems WHERE at_ms < ?1", before);
}
Result<int64_t> ConductorStore::prune_worker_history(TimePoint before) {
  return prune(db_, "DELETE FROM worker_history WHERE at_ms < ?1", before);
}

}  // namespace baton::conductor
