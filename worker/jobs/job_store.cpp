#include "worker/jobs/job_store.hpp"

namespace baton::worker {

namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> list{
      R"sql(
CREATE TABLE jobs (
  case_id          TEXT    NOT NULL,
  step_index       INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  action           TEXT    NOT NULL,
  slots            INTEGER NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('starting', 'running', 'finished')),
  supervisor_pid   INTEGER NOT NULL DEFAULT 0,
  supervisor_start INTEGER NOT NULL DEFAULT 0,
  job_pid          INTEGER NOT NULL DEFAULT 0,
  log_path         TEXT    NOT NULL,
  exit_path        TEXT    NOT NULL,
  started_at_ms    INTEGER NOT NULL,
  timeout_ms       INTEGER NOT NULL DEFAULT 0,
  cancel_reason    TEXT    NOT NULL DEFAULT '',
  outcome          INTEGER NOT NULL DEFAULT 0,
  exit_code        INTEGER NOT NULL DEFAULT 0,
  signal           INTEGER NOT NULL DEFAULT 0,
  output_tail      TEXT    NOT NULL DEFAULT '',
  message          TEXT    NOT NULL DEFAULT '',
  duration_ms      INTEGER NOT NULL DEFAULT 0,
  finished_at_ms   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (case_id, step_index, attempt)
);
CREATE INDEX jobs_state ON jobs (state);
)sql",
  };
  return list;
}

const char* state_name(JobRecord::State state) {
  switch (state) {
    case JobRecord::State::starting: return "starting";
    case JobRecord::State::running: return "running";
    case JobRecord::State::finished: return "finished";
  }
  return "starting";
}

JobRecord::State parse_state(const std::string& text) {
  if (text == "running") return JobRecord::State::running;
  if (text == "finished") return JobRecord::State::finished;
  return JobRecord::State::starting;
}

constexpr const char* kColumns =
    "case_id, step_index, attempt, action, slots, state, supervisor_pid, supervisor_start, job_pid, log_path, "
    "exit_path, started_at_ms, cancel_reason, outcome, exit_code, signal, output_tail, message, duration_ms, "
    "finished_at_ms, timeout_ms";

JobRecord read_row(const sqlite::Statement& s) {
  JobRecord r;
  r.key.case_id = s.column_text(0);
  r.key.step_index = static_cast<uint32_t>(s.column_int(1));
  r.key.attempt = static_cast<uint32_t>(s.column_int(2));
  r.action = s.column_text(3);
  r.slots = static_cast<unsigned>(s.column_int(4));
  r.state = parse_state(s.column_text(5));
  r.supervisor_pid = s.column_int(6);
  r.supervisor_start = s.column_int(7);
  r.job_pid = s.column_int(8);
  r.log_path = s.column_text(9);
  r.exit_path = s.column_text(10);
  r.started_at_ms = s.column_int(11);
  r.cancel_reason = s.column_text(12);
  r.outcome = static_cast<int>(s.column_int(13));
  r.exit_code = static_cast<int>(s.column_int(14));
  r.signal = static_cast<int>(s.column_int(15));
  r.output_tail = s.column_text(16);
  r.message = s.column_text(17);
  r.duration_ms = s.column_int(18);
  r.finished_at_ms = s.column_int(19);
  r.timeout_ms = s.column_int(20);
  return r;
}

Status run_keyed(sqlite::Statement& s, const JobKey& key, int first) {
  s.bind(first, key.case_id).bind(first + 1, key.step_index).bind(first + 2, key.attempt);
  return s.run();
}

}  // namespace

std::string JobKey::text() const {
  return case_id + "/" + std::to_string(step_index) + "/" + std::to_string(attempt);
}

Result<JobStore> JobStore::open(const std::string& path) {
  auto db = sqlite::Database::open(path);
  if (!db) return db.error();
  JobStore store(std::move(db).value());
  if (auto st = store.migrate(); !st) return st.error();
  if (auto st = store.db_.checkpoint_in_background(); !st) return st.error();
  return store;
}

Status JobStore::migrate() {
  const auto& list = migrations();
  const int current = db_.user_version();
  if (current > static_cast<int>(list.size())) {
    return make_error(Errc::database, db_.path() + " has schema version " + std::to_string(current) +
                                          ", newer than this worker knows (" + std::to_string(list.size()) + ")");
  }
  for (int v = current; v < static_cast<int>(list.size()); ++v) {
    sqlite::Transaction tx(db_);
    if (auto st = tx.begun(); !st) return st;
    if (auto st = db_.exec(list[v]); !st) return st;
    if (auto st = db_.set_user_version(v + 1); !st) return st;
    if (auto st = tx.commit(); !st) return st;
  }
  return {};
}

Result<std::optional<JobRecord>> JobStore::find(const JobKey& key) {
  auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM jobs WHERE case_id = ?1 AND step_index = ?2 AND attempt = ?3");
  if (!s) return s.error();
  (*s)->bind(1, key.case_id).bind(2, key.step_index).bind(3, key.attempt);
  auto row = (*s)->step();
  if (!row) return row.error();
  std::optional<JobRecord> out;
  if (*row) out = read_row(**s);
  (*s)->reset();
  return out;
}

Result<bool> JobStore::insert(const JobRecord& r) {
  auto s = db_.prepare(
      "INSERT OR IGNORE INTO jobs (case_id, step_index, attempt, action, slots, state, log_path, exit_path, "
      "started_at_ms, timeout_ms, supervisor_pid, supervisor_start, job_pid) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!s) return s.error();
  (*s)->bind(1, r.key.case_id).bind(2, r.key.step_index).bind(3, r.key.attempt).bind(4, r.action);
  (*s)->bind(5, r.slots).bind(6, state_name(r.state)).bind(7, r.log_path).bind(8, r.exit_path);
  (*s)->bind(9, r.started_at_ms).bind(10, r.timeout_ms);
  (*s)->bind(11, r.supervisor_pid).bind(12, r.supervisor_start).bind(13, r.job_pid);
  if (auto st = (*s)->run(); !st) return st.error();
  return db_.changes() > 0;
}

Status JobStore::mark_running(const JobKey& key, int64_t supervisor_pid, int64_t supervisor_start, int64_t job_pid) {
  auto s = db_.prepare(
      "UPDATE jobs SET state = 'running', supervisor_pid = ?1, supervisor_start = ?2, job_pid = ?3 "
      "WHERE case_id = ?4 AND step_index = ?5 AND attempt = ?6");
  if (!s) return s.error();
  (*s)->bind(1, supervisor_pid).bind(2, supervisor_start).bind(3, job_pid);
  return run_keyed(**s, key, 4);
}

Status JobStore::set_cancel_reason(const JobKey& key, const std::string& reason) {
  auto s = db_.prepare("UPDATE jobs SET cancel_reason = ?1 WHERE case_id = ?2 AND step_index = ?3 AND attempt = ?4");
  if (!s) return s.error();
  (*s)->bind(1, reason);
  return run_keyed(**s, key, 2);
}

Status JobStore::mark_finished(const JobRecord& r, bool flushed) {
  if (!flushed) return write_finished(r);
  // In WAL mode a FULL commit syncs the log; NORMAL, the default here, only
  // at checkpoints.
  if (auto st = db_.exec("PRAGMA synchronous=FULL"); !st) return st;
  Status written = write_finished(r);
  if (auto st = db_.exec("PRAGMA synchronous=NORMAL"); !st && written) return st;
  return written;
}

Status JobStore::write_finished(const JobRecord& r) {
  auto s = db_.prepare(
      "UPDATE jobs SET state = 'finished', outcome = ?1, exit_code = ?2, signal = ?3, output_tail = ?4, "
      "message = ?5, duration_ms = ?6, finished_at_ms = ?7 WHERE case_id = ?8 AND step_index = ?9 AND attempt = ?10");
  if (!s) return s.error();
  (*s)->bind(1, r.outcome).bind(2, r.exit_code).bind(3, r.signal).bind(4, r.output_tail).bind(5, r.message);
  (*s)->bind(6, r.duration_ms).bind(7, r.finished_at_ms);
  return run_keyed(**s, r.key, 8);
}

Status JobStore::remove(const JobKey& key) {
  auto s = db_.prepare("DELETE FROM jobs WHERE case_id = ?1 AND step_index = ?2 AND attempt = ?3");
  if (!s) return s.error();
  return run_keyed(**s, key, 1);
}

Result<std::vector<JobRecord>> JobStore::unfinished() {
  auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM jobs WHERE state != 'finished' ORDER BY started_at_ms");
  if (!s) return s.error();
  return sqlite::collect<JobRecord>(**s, read_row);
}

Status JobStore::prune_finished_before(int64_t unix_ms) {
  auto s = db_.prepare("DELETE FROM jobs WHERE state = 'finished' AND finished_at_ms < ?1");
  if (!s) return s.error();
  (*s)->bind(1, unix_ms);
  return (*s)->run();
}

}  // namespace baton::worker
