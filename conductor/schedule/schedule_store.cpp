#include "conductor/schedule/schedule_store.hpp"

namespace baton::conductor {

const char* const ScheduleStore::kSchema = R"sql(
CREATE TABLE schedule_runs (
  schedule          TEXT NOT NULL,
  target            TEXT NOT NULL,
  last_scheduled_ms INTEGER,
  last_fired_ms     INTEGER,
  last_outcome      TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (schedule, target)
) WITHOUT ROWID;
)sql";

namespace {

void bind_time(sqlite::Statement& stmt, int index, const std::optional<TimePoint>& t) {
  if (t) stmt.bind(index, to_unix_ms(*t));
  else stmt.bind_null(index);
}

std::optional<TimePoint> read_time(const sqlite::Statement& row, int col) {
  if (row.column_is_null(col)) return std::nullopt;
  return from_unix_ms(row.column_int(col));
}

}  // namespace

Result<ScheduleHistory> ScheduleStore::load() {
  auto stmt = db_.prepare(
      "SELECT schedule, target, last_scheduled_ms, last_fired_ms, last_outcome FROM schedule_runs");
  if (!stmt) return stmt.error();
  ScheduleHistory history;
  auto read = sqlite::for_each_row(**stmt, [&history](const sqlite::Statement& r) {
    RunHistory entry;
    entry.last_scheduled = read_time(r, 2);
    entry.last_fired = read_time(r, 3);
    entry.last_outcome = parse_run_outcome(r.column_text(4)).value_or(RunOutcome::none);
    history.emplace(RunKey{r.column_text(0), r.column_text(1)}, entry);
  });
  if (!read) return read.error();
  return history;
}

Status ScheduleStore::record(const RunKey& key, const RunHistory& history) {
  auto stmt = db_.prepare(
      "INSERT INTO schedule_runs (schedule, target, last_scheduled_ms, last_fired_ms, last_outcome) "
      "VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (schedule, target) DO UPDATE SET last_scheduled_ms = excluded.last_scheduled_ms, "
      "last_fired_ms = excluded.last_fired_ms, last_outcome = excluded.last_outcome");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, key.schedule).bind(2, key.target);
  bind_time(**stmt, 3, history.last_scheduled);
  bind_time(**stmt, 4, history.last_fired);
  (*stmt)->bind(5, to_string(history.last_outcome));
  return (*stmt)->run();
}

Status ScheduleStore::record(const std::vector<std::pair<RunKey, RunHistory>>& changes) {
  for (const auto& [key, history] : changes) {
    if (auto status = record(key, history); !status) return status;
  }
  return {};
}

Status ScheduleStore::forget_schedule(const std::string& schedule) {
  auto stmt = db_.prepare("DELETE FROM schedule_runs WHERE schedule = ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, schedule);
  return (*stmt)->run();
}

}  // namespace baton::conductor
