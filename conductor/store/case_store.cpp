// ConductorStore: the cases, their history and their step attempts.
#include <nlohmann/json.hpp>

#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

namespace {

constexpr const char* kCaseColumns =
    "id, seq, workflow, params, priority, status, current_step, attempt, retry_base, worker_id, progress, "
    "progress_message, message, cancel_requested, created_ms, updated_ms, not_before_ms";

CaseRecord read_case(const sqlite::Statement& row) {
  CaseRecord c;
  c.id = row.column_text(0);
  c.seq = row.column_int(1);
  c.workflow = row.column_text(2);
  const auto params = nlohmann::json::parse(row.column_text(3), nullptr, false);
  if (params.is_object())
    for (const auto& [k, v] : params.items())
      if (v.is_string()) c.params[k] = v.get<std::string>();
  c.priority = static_cast<int>(row.column_int(4));
  c.status = parse_case_status(row.column_text(5)).value_or(CaseStatus::failed);
  c.current_step = static_cast<unsigned>(row.column_int(6));
  c.attempt = static_cast<unsigned>(row.column_int(7));
  c.retry_base = static_cast<unsigned>(row.column_int(8));
  c.worker_id = row.column_text(9);
  c.progress = static_cast<int>(row.column_int(10));
  c.progress_message = row.column_text(11);
  c.message = row.column_text(12);
  c.cancel_requested = row.column_int(13) != 0;
  c.created_at = from_unix_ms(row.column_int(14));
  c.updated_at = from_unix_ms(row.column_int(15));
  c.not_before = from_unix_ms(row.column_int(16));
  return c;
}

void bind_case(sqlite::Statement& s, const CaseRecord& c) {
  s.bind(1, c.id)
      .bind(2, c.seq)
      .bind(3, c.workflow)
      .bind(4, nlohmann::json(c.params).dump())
      .bind(5, c.priority)
      .bind(6, to_string(c.status))
      .bind(7, c.current_step)
      .bind(8, c.attempt)
      .bind(9, c.retry_base)
      .bind(10, c.worker_id)
      .bind(11, c.progress)
      .bind(12, c.progress_message)
      .bind(13, c.message)
      .bind(14, c.cancel_requested ? 1 : 0)
      .bind(15, to_unix_ms(c.created_at))
      .bind(16, to_unix_ms(c.updated_at))
      .bind(17, to_unix_ms(c.not_before));
}


std::optional<TimePoint> optional_time(const sqlite::Statement& row, int col) {
  if (row.column_is_null(col)) return std::nullopt;
  return from_unix_ms(row.column_int(col));
}

}  // namespace

Status ConductorStore::insert_case(CaseRecord& c) {
  auto next = db_.prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM cases");
  if (!next) return next.error();
  auto row = (*next)->step();
  if (!row) return row.error();
  c.seq = (*next)->column_int(0);
  (*next)->reset();
  auto stmt = db_.prepare(std::string("INSERT INTO cases (") + kCaseColumns +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (!stmt) return stmt.error();
  bind_case(**stmt, c);
  return (*stmt)->run();
}

Status ConductorStore::update_case(const CaseRecord& c) {
  auto stmt = db_.prepare(
      "UPDATE cases SET status = ?6, current_step = ?7, attempt = ?8, retry_base = ?9, worker_id = ?10, "
      "progress = ?11, progress_message = ?12, message = ?13, cancel_requested = ?14, updated_ms = ?16, "
      "not_before_ms = ?17, seq = ?2, workflow = ?3, params = ?4, priority = ?5, created_ms = ?15 WHERE id = ?1");
  if (!stmt) return stmt.error();
  bind_case(**stmt, c);
  return (*stmt)->run();
}

Status ConductorStore::append_case_history(const std::string& case_id, const CaseHistoryRow& h) {
  auto stmt = db_.prepare(
      "INSERT INTO case_history (case_id, at_ms, status, step, attempt, worker_id, message) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, case_id).bind(2, to_unix_ms(h.at)).bind(3, to_string(h.status)).bind(4, h.step)
      .bind(5, h.attempt).bind(6, h.worker_id).bind(7, h.message);
  return (*stmt)->run();
}

Status ConductorStore::add_case_problem(const CaseProblemRow& p) {
  auto stmt = db_.prepare(
      "INSERT INTO case_problems (case_id, step, attempt, worker_id, kind, message, at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, p.case_id).bind(2, p.step).bind(3, p.attempt).bind(4, p.worker_id).bind(5, p.kind)
      .bind(6, p.message).bind(7, to_unix_ms(p.at));
  return (*stmt)->run();
}

Result<std::vector<CaseProblemRow>> ConductorStore::case_problems(TimePoint since, unsigned limit) {
  auto stmt = db_.prepare(
      "SELECT case_id, step, attempt, worker_id, kind, message, at_ms FROM case_problems "
      "WHERE at_ms >= ?1 ORDER BY id LIMIT ?2");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, to_unix_ms(since)).bind(2, limit);
  std::vector<CaseProblemRow> rows;
  while (true) {
    auto more = (*stmt)->step();
    if (!more) return more.error();
    if (!*more) break;
    auto& s = **stmt;
    rows.push_back({s.column_text(0), static_cast<unsigned>(s.column_int(1)), static_cast<unsigned>(s.column_int(2)),
                    s.column_text(3), s.column_text(4), s.column_text(5), from_unix_ms(s.column_int(6))});
  }
  return rows;
}

Status ConductorStore::upsert_attempt(const StepAttemptRecord& a) {
  auto stmt = db_.prepare(
      "INSERT INTO step_attempts (case_id, step, attempt, step_name, worker_id, status, slots, gpus, pid, "
      "exit_code, message, output_tail, dispatched_ms, started_ms, finished_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
      "ON CONFLICT (case_id, step, attempt) DO UPDATE SET worker_id = ?5, status = ?6, slots = ?7, gpus = ?8, "
      "pid = ?9, exit_code = ?10, message = ?11, output_tail = ?12, started_ms = ?14, finished_ms = ?15");
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  s.bind(1, a.case_id).bind(2, a.step).bind(3, a.attempt).bind(4, a.step_name).bind(5, a.worker_id)
      .bind(6, to_string(a.status)).bind(7, a.slots).bind(8, nlohmann::json(a.gpus).dump()).bind(9, a.pid)
      .bind(10, a.exit_code).bind(11, a.message).bind(12, a.output_tail).bind(13, to_unix_ms(a.dispatched_at));
  if (a.started_at) s.bind(14, to_unix_ms(*a.started_at));
  else s.bind_null(14);
  if (a.finished_at) s.bind(15, to_unix_ms(*a.finished_at));
  else s.bind_null(15);
  return s.run();
}

Result<std::optional<CaseRecord>> ConductorStore::find_case(const std::string& id) {
  auto stmt = db_.prepare(std::string("SELECT ") + kCaseColumns + " FROM cases WHERE id = ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, id);
  auto rows = sqlite::collect<CaseRecord>(**stmt, read_case);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<CaseRecord>();
  return std::optional<CaseRecord>(std::move(rows->front()));
}

Result<std::vector<CaseRecord>> ConductorStore::list_cases(const CaseFilter& filter) {
  // Newest first: what an operator looking at a list wants to see.
  auto stmt = db_.prepare(std::string("SELECT ") + kCaseColumns +
                          " FROM cases WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR workflow = ?2) "
                          "ORDER BY seq DESC LIMIT ?3");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, filter.status ? to_string(*filter.status) : "").bind(2, filter.workflow).bind(3, filter.limit);
  return sqlite::collect<CaseRecord>(**stmt, read_case);
}

Result<std::vector<CaseRecord>> ConductorStore::active_cases() {
  auto stmt = db_.prepare(std::string("SELECT ") + kCaseColumns +
                          " FROM cases WHERE status IN ('QUEUED', 'PROCESSING', 'EXECUTING') ORDER BY seq");
  if (!stmt) return stmt.error();
  return sqlite::collect<CaseRecord>(**stmt, read_case);
}

Result<std::vector<CaseHistoryRow>> ConductorStore::case_history(const std::string& case_id) {
  auto stmt = db_.prepare(
      "SELECT at_ms, status, step, attempt, worker_id, message FROM case_history WHERE case_id = ?1 ORDER BY id");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, case_id);
  return sqlite::collect<CaseHistoryRow>(**stmt, [](const sqlite::Statement& r) {
    CaseHistoryRow h;
    h.at = from_unix_ms(r.column_int(0));
    h.status = parse_case_status(r.column_text(1)).value_or(CaseStatus::failed);
    h.step = static_cast<unsigned>(r.column_int(2));
    h.attempt = static_cast<unsigned>(r.column_int(3));
    h.worker_id = r.column_text(4);
    h.message = r.column_text(5);
    return h;
  });
}

Result<std::vector<StepAttemptRecord>> ConductorStore::step_attempts(const std::string& case_id) {
  auto stmt = db_.prepare(
      "SELECT case_id, step, attempt, step_name, worker_id, status, slots, gpus, pid, exit_code, message, "
      "output_tail, dispatched_ms, started_ms, finished_ms FROM step_attempts WHERE case_id = ?1 "
      "ORDER BY step, attempt");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, case_id);
  return sqlite::collect<StepAttemptRecord>(**stmt, [](const sqlite::Statement& r) {
    StepAttemptRecord a;
    a.case_id = r.column_text(0);
    a.step = static_cast<unsigned>(r.column_int(1));
    a.attempt = static_cast<unsigned>(r.column_int(2));
    a.step_name = r.column_text(3);
    a.worker_id = r.column_text(4);
    a.status = parse_attempt_status(r.column_text(5)).value_or(AttemptStatus::failed);
    a.slots = static_cast<unsigned>(r.column_int(6));
    const auto gpus = nlohmann::json::parse(r.column_text(7), nullptr, false);
    if (gpus.is_array())
      for (const auto& g : gpus)
        if (g.is_number_unsigned()) a.gpus.push_back(g.get<unsigned>());
    a.pid = static_cast<uint32_t>(r.column_int(8));
    a.exit_code = static_cast<int>(r.column_int(9));
    a.message = r.column_text(10);
    a.output_tail = r.column_text(11);
    a.dispatched_at = from_unix_ms(r.column_int(12));
    a.started_at = optional_time(r, 13);
    a.finished_at = optional_time(r, 14);
    return a;
  });
}

Result<std::map<std::string, unsigned>> ConductorStore::count_cases_by_status() {
  auto stmt = db_.prepare("SELECT status, COUNT(*) FROM cases GROUP BY status");
  if (!stmt) return stmt.error();
  auto rows = sqlite::collect<std::pair<std::string, unsigned>>(**stmt, [](const sqlite::Statement& r) {
    return std::make_pair(r.column_text(0), static_cast<unsigned>(r.column_int(1)));
  });
  if (!rows) return rows.error();
  std::map<std::string, unsigned> out;
  for (auto& [k, v] : *rows) out[k] = v;
  return out;
}

}  // namespace baton::conductor
