#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"

struct sqlite3;

namespace baton::sqlite {

// Maintenance primitives shared by the worker's built-in sqlite actions and
// the conductor's housekeeping of its own database. They take a raw handle so
// they work on databases Baton does not own; Database& callers pass handle().

// A connection to an existing database that leaves its journal mode alone:
// Database::open switches to WAL, which an operator's own database must not
// get as a side effect of being checked.
class Connection {
 public:
  static Result<Connection> open_existing(const std::string& path, bool read_only = false);

  Connection(Connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// While alive, statements on `db` are interrupted (SQLITE_INTERRUPT) once
// `deadline` passes, so a VACUUM of a huge file cannot outlive its timeout.
class InterruptAtDeadline {
 public:
  InterruptAtDeadline(sqlite3* db, std::chrono::steady_clock::time_point deadline);
  ~InterruptAtDeadline();
  InterruptAtDeadline(const InterruptAtDeadline&) = delete;
  InterruptAtDeadline& operator=(const InterruptAtDeadline&) = delete;

 private:
  static int check(void* self);
  sqlite3* db_;
  std::chrono::steady_clock::time_point deadline_;
};

struct CheckpointResult {
  bool busy = false;  // a reader kept the WAL from being fully reset
  int64_t wal_frames = 0;
  int64_t checkpointed_frames = 0;
};
// PRAGMA wal_checkpoint(TRUNCATE). A database not in WAL mode reports 0 frames.
Result<CheckpointResult> wal_checkpoint_truncate(sqlite3* db);
Status vacuum(sqlite3* db);
Status analyze(sqlite3* db);
Status reindex(sqlite3* db);

enum class IntegrityMode { quick, full };
// The problems SQLite reports, at most max_problems of them; empty means the
// database is intact.
Result<std::vector<std::string>> integrity_check(sqlite3* db, IntegrityMode mode, int max_problems = 100);

// How a retention column stores time.
enum class TimeFormat { unix_s, unix_ms, iso8601 };
const char* to_string(TimeFormat format);
std::optional<TimeFormat> parse_time_format(std::string_view text);

// [A-Za-z_][A-Za-z0-9_]{0,63}: table and column names are spliced into SQL
// (they cannot be bound), so only plain identifiers are accepted.
bool is_identifier(std::string_view name);

struct DeleteOptions {
  // Rows per transaction, so a live writer waits for one batch, not the
  // whole purge. Needs a rowid table; 0 deletes in one statement.
  int64_t batch_rows = 5000;
};
// Deletes rows whose `column` is before `cutoff`; returns how many. Rows whose
// value does not parse as a time are kept. iso8601 compares through
// julianday(), so 'T' or ' ' separators and a 'Z' suffix all work.
Result<int64_t> delete_older_than(sqlite3* db, std::string_view table, std::string_view column,
                                  TimePoint cutoff, TimeFormat format, DeleteOptions options = {});
// What delete_older_than would remove, without removing it.
Result<int64_t> count_older_than(sqlite3* db, std::string_view table, std::string_view column,
                                 TimePoint cutoff, TimeFormat format);

struct BackupOptions {
  // Pages copied per step; between steps the source is unlocked, so a live
  // writer is held up for at most one step.
  int pages_per_step = 128;
  std::optional<std::chrono::steady_clock::time_point> deadline;
};
struct BackupResult {
  int64_t pages = 0;
  uint64_t bytes = 0;
};
// Copies a live database with the sqlite3_backup API into dest_path, checks
// the copy with a full integrity_check and only then gives it its final name
// (it is written as dest_path + ".partial"), so a half-written or corrupt
// copy never looks like a backup. Refuses to overwrite an existing dest_path.
Result<BackupResult> online_backup(const std::string& source_path, const std::string& dest_path,
                                   BackupOptions options = {});

// Dated backup names: `<stem>-YYYYmmdd-HHMMSS.db` in UTC, so they sort in
// time order by name.
std::string backup_file_name(const std::string& stem, TimePoint when);
bool is_backup_file_name(std::string_view file_name, std::string_view stem);
// The dated backups of `stem` in `dir`, oldest first.
Result<std::vector<std::filesystem::path>> list_backups(const std::filesystem::path& dir, const std::string& stem);
// Removes all but the newest `keep` backups of `stem` in `dir` (other files
// are never touched); returns the removed paths.
Result<std::vector<std::filesystem::path>> prune_backups(const std::filesystem::path& dir, const std::string& stem,
                                                         size_t keep);

}  // namespace baton::sqlite
