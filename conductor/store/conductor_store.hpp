#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"
#include "conductor/store/case_records.hpp"
#include "conductor/store/check_records.hpp"
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
  // What a heartbeat changes (hostname, free slots, interval, online status
  // with its change time and reason, last seen, sequence, resources,
  // draining), written over the worker's row; a worker without a row yet is
  // upserted whole. It runs per heartbeat, where the upsert re-encoded and
  // rewrote every column.
  Status update_worker_heartbeat(const WorkerRecord& worker);
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

  // Checks (check_store.cpp). Records a result in the history and, unless an
  // newer one is there, the latest table, filling in state_since and
  // consecutive. A (worker, command) result seen before changes nothing.
  Result<CheckRecorded> record_check_result(CheckResultRecord& result);
  Result<std::vector<CheckResultRecord>> latest_checks(const CheckFilter& filter);
  Result<std::vector<CheckResultRecord>> check_history(const CheckFilter& filter);
  Status insert_maintenance_run(const MaintenanceRunRecord& run);
  // false when the run was already finished (a redelivered result).
  Result<bool> finish_maintenance_run(const MaintenanceRunRecord& run);
  Result<std::vector<MaintenanceRunRecord>> maintenance_runs(const MaintenanceFilter& filter);
  // Retention: rows older than the cutoff go; returns how many.
  Result<int64_t> prune_check_history(TimePoint before);
  Result<int64_t> prune_maintenance_runs(TimePoint before);
  Result<int64_t> prune_case_problems(TimePoint before);
  Result<int64_t> prune_worker_history(TimePoint before);

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
