#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"
#include "conductor/store/case_records.hpp"
#include "conductor/store/worker_record.hpp"

namespace baton::conductor {

// The conductor's SQLite database. One read-write instance belongs to the core
// strand; the HTTP server opens its own read-only instance (WAL lets it read
// while the core writes).
class ConductorStore {
 public:
  static Result<std::unique_ptr<ConductorStore>> open(const std::string& path, bool read_only = false);

  // Writes are grouped: the core opens a batch, applies many events and
  // commits once, then acks the deliveries.
  Status begin_batch();
  Status commit_batch();
  bool in_batch() const { return in_batch_; }

  Status upsert_worker(const WorkerRecord& worker);
  Result<std::vector<WorkerRecord>> list_workers();
  Result<std::optional<WorkerRecord>> find_worker(const std::string& id);
  Result<WorkerCounts> count_workers();
  // One row per online/offline transition, for the audit trail.
  Status append_worker_history(const std::string& id, TimePoint at, bool online, const std::string& reason);

  // Cases. The scheduler writes inside its batch; the API only reads.
  Status insert_case(CaseRecord& record);  // assigns record.seq
  Status update_case(const CaseRecord& record);
  Status append_case_history(const std::string& case_id, const CaseHistoryRow& row);
  Status upsert_attempt(const StepAttemptRecord& attempt);
  Status add_case_problem(const CaseProblemRow& problem);
  Result<std::vector<CaseProblemRow>> case_problems(TimePoint since, unsigned limit);
  Result<std::optional<CaseRecord>> find_case(const std::string& id);
  Result<std::vector<CaseRecord>> list_cases(const CaseFilter& filter);
  // Every case not yet COMPLETED, FAILED or CANCELLED (the scheduler's working set).
  Result<std::vector<CaseRecord>> active_cases();
  Result<std::vector<CaseHistoryRow>> case_history(const std::string& case_id);
  Result<std::vector<StepAttemptRecord>> step_attempts(const std::string& case_id);
  Result<std::map<std::string, unsigned>> count_cases_by_status();

  // A cheap query that proves the database answers.
  Status ping();

  int schema_version() const;
  sqlite::Database& db() { return db_; }

 private:
  explicit ConductorStore(sqlite::Database db) : db_(std::move(db)) {}
  Status migrate();

  sqlite::Database db_;
  bool in_batch_ = false;
};

}  // namespace baton::conductor
