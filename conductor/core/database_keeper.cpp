#include "conductor/core/database_keeper.hpp"

#include <sqlite3.h>

#include <filesystem>

#include "common/log/logging.hpp"
#include "common/sqlite/maintenance.hpp"

namespace baton::conductor {

namespace {

constexpr const char* kTarget = "conductor";
constexpr const char* kHousekeeping = "conductor:housekeeping";
constexpr const char* kBackup = "conductor:backup";

}  // namespace

DatabaseUpkeepConfig::DatabaseUpkeepConfig() {
  housekeeping.name = kHousekeeping;
  housekeeping.interval = std::chrono::hours(1);
  backup.name = kBackup;
  backup.kind = ScheduleKind::cron;
  backup.cron = *CronExpression::parse("0 2 * * *");
  backup.expiry = std::chrono::hours(6);
}

DatabaseKeeper::DatabaseKeeper(ConductorStore& store, std::string database_path, const Clock& clock,
                               DatabaseUpkeepConfig config, InBatch in_batch)
    : store_(store),
      database_path_(std::move(database_path)),
      clock_(clock),
      config_(std::move(config)),
      in_batch_(std::move(in_batch)),
      book_(std::make_unique<ScheduleBook>(clock)),
      history_(store.db()),
      log_(log::logger("database")) {}

DatabaseKeeper::~DatabaseKeeper() { stop(); }

void DatabaseKeeper::stop() {
  if (backup_thread_.joinable()) backup_thread_.join();
}

Status DatabaseKeeper::load() {
  auto history = history_.load();
  if (!history) return history.error();
  book_ = std::make_unique<ScheduleBook>(clock_, std::move(*history));
  config_.housekeeping.name = kHousekeeping;
  if (auto st = book_->add_schedule(config_.housekeeping, {kTarget}); !st) return st;
  if (!config_.backup_dir.empty()) {
    config_.backup.name = kBackup;
    if (auto st = book_->add_schedule(config_.backup, {kTarget}); !st) return st;
  }
  return {};
}

Result<std::map<std::string, int64_t>> DatabaseKeeper::housekeep() {
  const TimePoint now = clock_.now();
  std::map<std::string, int64_t> deleted;
  Status failed;
  const Status committed = in_batch_([&] {
    using Prune = Result<int64_t> (ConductorStore::*)(TimePoint);
    const std::map<std::string, Prune> prunes = {{"check_history", &ConductorStore::prune_check_history},
                                                 {"maintenance_runs", &ConductorStore::prune_maintenance_runs},
                                                 {"case_problems", &ConductorStore::prune_case_problems},
                                                 {"worker_history", &ConductorStore::prune_worker_history}};
    for (const auto& [table, keep] : config_.retention) {
      auto prune = prunes.find(table);
      if (prune == prunes.end()) continue;
      auto n = (store_.*(prune->second))(now - keep);
      if (!n) {
        failed = n.error();
        return;
      }
      deleted[table] = *n;
    }
  });
  if (!failed) return failed.error();
  if (!committed) return committed.error();
  // After the commit: a checkpoint cannot run inside a transaction.
  // PASSIVE: copies what it can without waiting for the API's or the
  // backup's readers, so the core never stalls on them.
  store_.db().reset_statements();
  if (sqlite3_wal_checkpoint_v2(store_.db().handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) != SQLITE_OK)
    return make_error(Errc::database, "wal_checkpoint(PASSIVE): " + store_.db().error_message());
  return deleted;
}

void DatabaseKeeper::start_backup(TimePoint now) {
  if (backup_thread_.joinable()) backup_thread_.join();
  const std::filesystem::path dir = config_.backup_dir;
  const std::string stem = std::filesystem::path(database_path_).stem().string();
  const std::string dest = (dir / sqlite::backup_file_name(stem, now)).string();
  backup_thread_ = std::thread([log = log_, source = database_path_, dir, stem, dest, keep = config_.backup_keep] {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    auto copied = sqlite::online_backup(source, dest);
    if (!copied) {
      log->error("backup to {} failed: {}", dest, copied.error().message);
      return;
    }
    log->info("backup {} written and verified ({} bytes)", dest, copied->bytes);
    auto pruned = sqlite::prune_backups(dir, stem, keep);
    if (!pruned) log->warn("pruning old backups in {}: {}", dir.string(), pruned.error().message);
    else if (!pruned->empty()) log->info("{} old backups removed (keeping {})", pruned->size(), keep);
  });
}

void DatabaseKeeper::tick() {
  const TimePoint now = clock_.now();
  DueBatch batch = book_->due(now);
  for (const auto& run : batch.runs) {
    if (run.schedule == kHousekeeping) {
      auto deleted = housekeep();
      if (!deleted) {
        log_->error("database housekeeping failed: {}", deleted.error().message);
      } else {
        int64_t total = 0;
        for (const auto& [_, n] : *deleted) total += n;
        if (total > 0) log_->info("retention removed {} old rows; WAL checkpointed", total);
      }
    } else if (run.schedule == kBackup) {
      start_backup(now);
    }
    book_->mark_fired(run, now);
  }
  const Status committed = in_batch_([&] {
    if (auto st = history_.record(book_->take_history_changes()); !st)
      log_->error("recording upkeep runs: {}", st.error().message);
  });
  if (!committed) log_->error("recording upkeep runs: {}", committed.error().message);
}

}  // namespace baton::conductor
