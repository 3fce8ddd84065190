#pragma once

#include <utility>
#include <vector>

#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"
#include "conductor/schedule/run_history.hpp"

namespace baton::conductor {

// The schedules' last runs in the conductor DB, so a restart neither repeats
// a run nor loses one. Runs no transactions of its own: record() belongs in
// the caller's batch, next to whatever else the fire changed.
class ScheduleStore {
 public:
  // One migration step for conductor/store/schema.cpp.
  static const char* const kSchema;

  explicit ScheduleStore(sqlite::Database& db) : db_(db) {}

  // Every row, for ScheduleBook's constructor. A row with an outcome this
  // build does not know reads as RunOutcome::none rather than failing start-up.
  Result<ScheduleHistory> load();
  Status record(const RunKey& key, const RunHistory& history);
  Status record(const std::vector<std::pair<RunKey, RunHistory>>& changes);
  // Drops the rows of a schedule no longer configured.
  Status forget_schedule(const std::string& schedule);

 private:
  sqlite::Database& db_;
};

}  // namespace baton::conductor
