#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/core/clock.hpp"
#include "conductor/schedule/schedule_book.hpp"
#include "conductor/schedule/schedule_store.hpp"
#include "conductor/store/conductor_store.hpp"

namespace spdlog {
class logger;
}

namespace baton::conductor {

// How the conductor looks after its own database (the runbook's SQLite
// maintenance, applied to Baton itself).
struct DatabaseUpkeepConfig {
  // Rows older than this go: check_history, maintenance_runs, case_problems,
  // worker_history. Absent tables keep everything.
  std::map<std::string, std::chrono::milliseconds> retention{
      {"check_history", std::chrono::hours(24 * 30)},
      {"maintenance_runs", std::chrono::hours(24 * 90)},
      {"case_problems", std::chrono::hours(24 * 90)},
      {"worker_history", std::chrono::hours(24 * 90)}};
  // Retention deletes, then a passive WAL checkpoint.
  ScheduleSpec housekeeping;
  // A verified online backup into backup_dir, keeping backup_keep of them.
  std::string backup_dir;  // empty: no scheduled backup
  unsigned backup_keep = 7;
  ScheduleSpec backup;

  DatabaseUpkeepConfig();
};

// Runs the conductor's own database upkeep on its schedules, on the core
// strand except the backup, which copies on a thread of its own through its
// own connection so the core keeps writing meanwhile.
class DatabaseKeeper {
 public:
  // Opens a batch, runs the change, commits; returns the commit's status.
  using InBatch = std::function<Status(std::function<void()>)>;

  DatabaseKeeper(ConductorStore& store, std::string database_path, const Clock& clock, DatabaseUpkeepConfig config,
                 InBatch in_batch);
  ~DatabaseKeeper();

  Status load();
  void tick();
  // Waits for a backup in progress.
  void stop();

  // Retention and checkpoint now; returns rows deleted per table.
  Result<std::map<std::string, int64_t>> housekeep();

 private:
  void start_backup(TimePoint now);

  ConductorStore& store_;
  std::string database_path_;
  const Clock& clock_;
  DatabaseUpkeepConfig config_;
  InBatch in_batch_;
  std::unique_ptr<ScheduleBook> book_;
  ScheduleStore history_;
  std::thread backup_thread_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace baton::conductor
