#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"

namespace baton::worker {

struct JobKey {
  std::string case_id;
  uint32_t step_index = 0;
  uint32_t attempt = 0;

  // "<case>/<step>/<attempt>", also the prefix of StepStarted/StepFinished message ids.
  std::string text() const;
  bool operator<(const JobKey& o) const {
    return std::tie(case_id, step_index, attempt) < std::tie(o.case_id, o.step_index, o.attempt);
  }
};

// One row per (case_id, step_index, attempt) this worker ever accepted: the
// row is what makes a redelivered RunStep harmless.
struct JobRecord {
  enum class State { starting, running, finished };

  JobKey key;
  std::string action;
  unsigned slots = 1;
  State state = State::starting;
  int64_t supervisor_pid = 0;
  int64_t supervisor_start = 0;
  int64_t job_pid = 0;
  std::string log_path;
  std::string exit_path;
  int64_t started_at_ms = 0;
  int64_t timeout_ms = 0;  // what the supervisor enforces; 0: none
  std::string cancel_reason;  // non-empty once a CancelStep arrived
  // Set when finished: the StepFinished that was (or will be) sent.
  int outcome = 0;
  int exit_code = 0;
  int signal = 0;
  std::string output_tail;
  std::string message;
  int64_t duration_ms = 0;
  int64_t finished_at_ms = 0;
};

// The worker's local jobs.db (SQLite, WAL). Not thread-safe: the
// JobController serialises access.
class JobStore {
 public:
  static Result<JobStore> open(const std::string& path);

  Result<std::optional<JobRecord>> find(const JobKey& key);
  // false when the key already has a row (nothing is changed then).
  Result<bool> insert(const JobRecord& record);
  Status mark_running(const JobKey& key, int64_t supervisor_pid, int64_t supervisor_start, int64_t job_pid);
  Status set_cancel_reason(const JobKey& key, const std::string& reason);
  // `flushed`: on disk before this returns, even with the rest of the
  // store's writes left to the next checkpoint.
  Status mark_finished(const JobRecord& record, bool flushed = false);
  Status remove(const JobKey& key);
  Result<std::vector<JobRecord>> unfinished();
  // Finished rows older than this are forgotten; a RunStep that old is not redelivered.
  Status prune_finished_before(int64_t unix_ms);

 private:
  Status write_finished(const JobRecord& record);
  explicit JobStore(sqlite::Database db) : db_(std::move(db)) {}
  Status migrate();

  sqlite::Database db_;
};

}  // namespace baton::worker
