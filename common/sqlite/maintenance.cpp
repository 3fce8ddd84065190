#include "common/sqlite/maintenance.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <cstdio>

namespace baton::sqlite {

namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

Error db_error(sqlite3* db, std::string_view what) {
  return make_error(Errc::database, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

Status exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return make_error(Errc::database, sql + ": " + message);
  }
  return {};
}

// Owns one statement prepared on a connection Baton does not cache.
class OneShot {
 public:
  OneShot(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) prepare_error_ = sqlite3_errmsg(db);
  }
  ~OneShot() { sqlite3_finalize(stmt_); }
  OneShot(const OneShot&) = delete;
  OneShot& operator=(const OneShot&) = delete;

  Status prepared(std::string_view sql) const {
    if (stmt_) return {};
    return make_error(Errc::database, std::string(sql) + ": " + prepare_error_);
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  std::string prepare_error_;
};

std::string quoted(std::string_view identifier) { return "\"" + std::string(identifier) + "\""; }

std::string format_utc(TimePoint when, const char* pattern) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, pattern, &utc);
  return buffer;
}

// The WHERE clause selecting rows older than the cutoff, with one parameter.
std::string older_than_condition(std::string_view column, TimeFormat format) {
  const std::string c = quoted(column);
  if (format == TimeFormat::iso8601) {
    // julianday() reads a number as a Julian day, so only text can qualify.
    return "typeof(" + c + ") = 'text' AND julianday(" + c + ") < julianday(?1)";
  }
  return "typeof(" + c + ") IN ('integer', 'real') AND " + c + " < ?1";
}

void bind_cutoff(sqlite3_stmt* stmt, TimePoint cutoff, TimeFormat format) {
  const int64_t ms = to_unix_ms(cutoff);
  switch (format) {
    case TimeFormat::unix_s:
      sqlite3_bind_int64(stmt, 1, ms / 1000);
      break;
    case TimeFormat::unix_ms:
      sqlite3_bind_int64(stmt, 1, ms);
      break;
    case TimeFormat::iso8601: {
      char millis[8];
      std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(((ms % 1000) + 1000) % 1000));
      const std::string text = format_utc(cutoff, "%Y-%m-%d %H:%M:%S") + millis;
      sqlite3_bind_text(stmt, 1, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      break;
    }
  }
}

Status check_names(std::string_view table, std::string_view column) {
  if (!is_identifier(table)) {
    return make_error(Errc::invalid_argument, "not a plain table name: " + std::string(table));
  }
  if (!is_identifier(column)) {
    return make_error(Errc::invalid_argument, "not a plain column name: " + std::string(column));
  }
  return {};
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
  fs::remove(path.string() + "-wal", ignored);
  fs::remove(path.string() + "-shm", ignored);
  fs::remove(path.string() + "-journal", ignored);
}

}  // namespace

Result<Connection> Connection::open_existing(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = db_error(db, "open " + path);
    sqlite3_close(db);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  Connection out(db);
  // A file that is not a database only fails on first read; fail here instead.
  if (auto s = exec(db, "SELECT count(*) FROM sqlite_schema"); !s) return s.error();
  return out;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

Connection::~Connection() {
  if (db_) sqlite3_close(db_);
}

InterruptAtDeadline::InterruptAtDeadline(sqlite3* db, steady_clock::time_point deadline)
    : db_(db), deadline_(deadline) {
  sqlite3_progress_handler(db_, 1000, &InterruptAtDeadline::check, this);
}

InterruptAtDeadline::~InterruptAtDeadline() { sqlite3_progress_handler(db_, 0, nullptr, nullptr); }

int InterruptAtDeadline::check(void* self) {
  return steady_clock::now() >= static_cast<InterruptAtDeadline*>(self)->deadline_ ? 1 : 0;
}

Result<CheckpointResult> wal_checkpoint_truncate(sqlite3* db) {
  int log = 0;
  int done = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) return db_error(db, "wal_checkpoint(TRUNCATE)");
  CheckpointResult out;
  out.busy = rc == SQLITE_BUSY;
  out.wal_frames = std::max(log, 0);
  out.checkpointed_frames = std::max(done, 0);
  return out;
}

Status vacuum(sqlite3* db) { return exec(db, "VACUUM"); }
Status analyze(sqlite3* db) { return exec(db, "ANALYZE"); }
Status reindex(sqlite3* db) { return exec(db, "REINDEX"); }

Result<std::vector<std::string>> integrity_check(sqlite3* db, IntegrityMode mode, int max_problems) {
  const char* pragma = mode == IntegrityMode::quick ? "quick_check" : "integrity_check";
  const std::string sql = "PRAGMA " + std::string(pragma) + "(" + std::to_string(std::max(max_problems, 1)) + ")";
  OneShot stmt(db, sql);
  if (auto s = stmt.prepared(sql); !s) return s.error();
  std::vector<std::string> problems;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    std::string line = text ? text : "";
    if (line != "ok") problems.push_back(std::move(line));
  }
  if (rc != SQLITE_DONE) return db_error(db, sql);
  return problems;
}

const char* to_string(TimeFormat format) {
  switch (format) {
    case TimeFormat::unix_s: return "unix_s";
    case TimeFormat::unix_ms: return "unix_ms";
    case TimeFormat::iso8601: return "iso8601";
  }
  return "?";
}

std::optional<TimeFormat> parse_time_format(std::string_view text) {
  if (text == "unix_s") return TimeFormat::unix_s;
  if (text == "unix_ms") return TimeFormat::unix_ms;
  if (text == "iso8601") return TimeFormat::iso8601;
  return std::nullopt;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

Result<int64_t> count_older_than(sqlite3* db, std::string_view table, std::string_view column, TimePoint cutoff,
                                 TimeFormat format) {
  if (auto s = check_names(table, column); !s) return s.error();
  const std::string sql = "SELECT count(*) FROM " + quoted(table) + " WHERE " + older_than_condition(column, format);
  OneShot stmt(db, sql);
  if (auto s = stmt.prepared(sql); !s) return s.error();
  bind_cutoff(stmt.get(), cutoff, format);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return db_error(db, sql);
  return static_cast<int64_t>(sqlite3_column_int64(stmt.get(), 0));
}

Result<int64_t> delete_older_than(sqlite3* db, std::string_view table, std::string_view column, TimePoint cutoff,
                                  TimeFormat format, DeleteOptions options) {
  if (auto s = check_names(table, column); !s) return s.error();
  const std::string condition = older_than_condition(column, format);
  const std::string sql =
      options.batch_rows > 0
          ? "DELETE FROM " + quoted(table) + " WHERE rowid IN (SELECT rowid FROM " + quoted(table) + " WHERE " +
                condition + " LIMIT " + std::to_string(options.batch_rows) + ")"
          : "DELETE FROM " + quoted(table) + " WHERE " + condition;
  OneShot stmt(db, sql);
  if (auto s = stmt.prepared(sql); !s) return s.error();
  int64_t deleted = 0;
  while (true) {
    bind_cutoff(stmt.get(), cutoff, format);
    const int rc = sqlite3_step(stmt.get());
    sqlite3_reset(stmt.get());
    if (rc != SQLITE_DONE) return db_error(db, sql);
    const int64_t batch = sqlite3_changes64(db);
    deleted += batch;
    if (options.batch_rows <= 0 || batch < options.batch_rows) return deleted;
  }
}

Result<BackupResult> online_backup(const std::string& source_path, const std::string& dest_path,
                                   BackupOptions options) {
  std::error_code ec;
  if (fs::exists(dest_path, ec)) return make_error(Errc::conflict, dest_path + " already exists");
  auto source = Connection::open_existing(source_path, true);
  if (!source) return source.error();

  const std::string partial = dest_path + ".partial";
  remove_quietly(partial);  // left by an interrupted earlier run
  BackupResult out;
  {
    sqlite3* dest = nullptr;
    if (sqlite3_open_v2(partial.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Error e = db_error(dest, "create " + partial);
      sqlite3_close(dest);
      return e;
    }
    sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source->handle(), "main");
    if (!backup) {
      Error e = db_error(dest, "backup of " + source_path);
      sqlite3_close(dest);
      remove_quietly(partial);
      return e;
    }
    int rc;
    bool timed_out = false;
    do {
      rc = sqlite3_backup_step(backup, std::max(options.pages_per_step, 1));
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(5);
      timed_out = options.deadline && steady_clock::now() >= *options.deadline;
    } while ((rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && !timed_out);
    out.pages = sqlite3_backup_pagecount(backup);
    sqlite3_backup_finish(backup);
    Error failure = rc == SQLITE_DONE ? Error{Errc::database, {}} : db_error(dest, "backup of " + source_path);
    sqlite3_close(dest);
    if (rc != SQLITE_DONE) {
      remove_quietly(partial);
      if (timed_out) return make_error(Errc::timeout, "backup of " + source_path + " did not finish in time");
      return failure;
    }
  }
  {
    // Read-write, so closing it removes the -wal and -shm files it makes.
    auto copy = Connection::open_existing(partial);
    if (!copy) {
      remove_quietly(partial);
      return copy.error();
    }
    auto problems = integrity_check(copy->handle(), IntegrityMode::full, 10);
    if (!problems || !problems->empty()) {
      remove_quietly(partial);
      if (!problems) return problems.error();
      return make_error(Errc::database, "the copy of " + source_path + " fails integrity_check: " + problems->front());
    }
  }
  fs::rename(partial, dest_path, ec);
  if (ec) {
    remove_quietly(partial);
    return make_error(Errc::io_error, "rename " + partial + " to " + dest_path + ": " + ec.message());
  }
  out.bytes = fs::file_size(dest_path, ec);
  return out;
}

std::string backup_file_name(const std::string& stem, TimePoint when) {
  return stem + "-" + format_utc(when, "%Y%m%d-%H%M%S") + ".db";
}

bool is_backup_file_name(std::string_view file_name, std::string_view stem) {
  // <stem>-YYYYmmdd-HHMMSS.db
  constexpr std::string_view kDated = "00000000-000000.db";
  if (file_name.size() != stem.size() + 1 + kDated.size()) return false;
  if (file_name.substr(0, stem.size()) != stem || file_name[stem.size()] != '-') return false;
  const std::string_view rest = file_name.substr(stem.size() + 1);
  for (size_t i = 0; i < kDated.size(); ++i) {
    const bool digit = rest[i] >= '0' && rest[i] <= '9';
    if (kDated[i] == '0' ? !digit : rest[i] != kDated[i]) return false;
  }
  return true;
}

Result<std::vector<fs::path>> list_backups(const fs::path& dir, const std::string& stem) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec) && is_backup_file_name(it->path().filename().string(), stem)) {
      found.push_back(it->path());
    }
  }
  if (ec) return make_error(Errc::io_error, "list " + dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::vector<fs::path>> prune_backups(const fs::path& dir, const std::string& stem, size_t keep) {
  auto backups = list_backups(dir, stem);
  if (!backups) return backups.error();
  std::vector<fs::path> removed;
  if (backups->size() <= keep) return removed;
  for (size_t i = 0; i + keep < backups->size(); ++i) {
    std::error_code ec;
    fs::remove((*backups)[i], ec);
    if (ec) return make_error(Errc::io_error, "remove " + (*backups)[i].string() + ": " + ec.message());
    removed.push_back((*backups)[i]);
  }
  return removed;
}

}  // namespace baton::sqlite
