#include "common/sqlite/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/log/logging.hpp"

namespace baton::sqlite {

namespace {
Error db_error(sqlite3* db, std::string_view what) {
  return make_error(Errc::database, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}
}  // namespace

// The thread and connection behind Database::checkpoint_in_background().
class BackgroundCheckpointer {
 public:
  BackgroundCheckpointer(Database own, int pages) : own_(std::move(own)), pages_(pages), thread_([this] { run(); }) {}
  ~BackgroundCheckpointer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

  // sqlite3_wal_hook: runs on the writer's thread after each commit.
  static int on_commit(void* self, sqlite3*, const char*, int pages) {
    auto* me = static_cast<BackgroundCheckpointer*>(self);
    if (pages >= me->pages_) {
      {
        std::lock_guard lock(me->mu_);
        me->due_ = true;
      }
      me->wake_.notify_one();
    }
    return SQLITE_OK;
  }

  uint64_t completed() const { return completed_.load(); }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return due_ || stopping_; });
      if (stopping_) return;
      due_ = false;
      lock.unlock();
      // PASSIVE copies what no reader still needs and never waits for one;
      // what it leaves is copied next time.
      const int rc = sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
      if (rc == SQLITE_OK) {
        completed_.fetch_add(1);
        retry_ = kFirstRetry;
      } else if (rc == SQLITE_BUSY) {
        // A lock it needs was held (for a moment by the writer appending, for
        // seconds by a maintenance TRUNCATE) and nothing was copied. Tried
        // again after a while: the commit that asked may be the last one
        // for a long time.
        wake_.wait_for(lock, retry_, [this] { return stopping_; });
        retry_ = std::min(retry_ * 2, kLastRetry);
        due_ = true;
      } else {
        // Left for the next commit past the threshold to ask again.
        log::logger("store")->warn("background checkpoint of {}: {}", own_.path(), sqlite3_errmsg(own_.handle()));
      }
    }
  }

  static constexpr std::chrono::milliseconds kFirstRetry{10};
  static constexpr std::chrono::milliseconds kLastRetry{1000};

  Database own_;  // used by thread_ only
  const int pages_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::chrono::milliseconds retry_ = kFirstRetry;  // thread_ only
  std::atomic<uint64_t> completed_{0};
  std::thread thread_;  // last: started once the rest is set up
};

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_error(sqlite3_db_handle(stmt_), sqlite3_sql(stmt_));
}

Status Statement::run() {
  auto r = step();
  reset();
  if (!r) return r.error();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::column_text(int col) const {
  const auto* text = sqlite3_column_text(stmt_, col);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, col));
}
std::string Statement::column_blob(int col) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  if (!bytes) return {};
  return std::string(bytes, sqlite3_column_bytes(stmt_, col));
}
bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

bool configure_library() {
  // Allocation statistics cost a global mutex around every SQLite malloc and
  // free (6 % of the conductor's ingest profile); nothing here reads them.
  static const bool done = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  return done;
}

Result<Database> Database::open(const std::string& path, bool read_only) {
  if (path != ":memory:" && !read_only) {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return make_error(Errc::io_error, "cannot create " + parent.string() + ": " + ec.message());
  }
  (void)configure_library();  // a program without run_main, e.g. the tests
  sqlite3* db = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = db_error(db, "open " + path);
    sqlite3_close(db);
    return e;
  }
  Database out(db, path);
  sqlite3_busy_timeout(db, 5000);
  if (!read_only) {
    if (auto s = out.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"); !s)
      return s.error();
  }
  return out;
}

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Database::Database(Database&& other) noexcept
    : db_(other.db_),
      path_(std::move(other.path_)),
      cache_(std::move(other.cache_)),
      checkpointer_(std::move(other.checkpointer_)) {
  other.db_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_.reset();
    cache_.clear();
    if (db_) sqlite3_close(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
    checkpointer_ = std::move(other.checkpointer_);
    other.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  // Its connection closes first, so this one is the last and checkpoints
  // the rest of the WAL as it closes.
  if (db_) sqlite3_wal_hook(db_, nullptr, nullptr);
  checkpointer_.reset();
  cache_.clear();  // statements must be finalized before the connection closes
  if (db_) sqlite3_close(db_);
}

Status Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return make_error(Errc::database, msg + " (in: " + sql.substr(0, 80) + ")");
  }
  return {};
}

Status Database::checkpoint_in_background(int pages) {
  if (checkpointer_ || path_ == ":memory:") return {};
  // Opened like this one (WAL); it has read the file, so it sees the WAL.
  auto own = Database::open(path_);
  if (!own) return make_error(Errc::database, "for checkpoints: " + own.error().message);
  checkpointer_ = std::make_unique<BackgroundCheckpointer>(std::move(own).value(), pages);
  // Replaces SQLite's automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(db_, &BackgroundCheckpointer::on_commit, checkpointer_.get());
  return {};
}

uint64_t Database::background_checkpoints() const { return checkpointer_ ? checkpointer_->completed() : 0; }

void Database::reset_statements() {
  for (auto& [_, stmt] : cache_) stmt->reset();
}

Result<Statement*> Database::prepare(const std::string& sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    it->second->reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    return db_error(db_, "prepare " + sql.substr(0, 80));
  auto [it, _] = cache_.emplace(sql, std::make_unique<Statement>(stmt));
  return it->second.get();
}

int Database::user_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) return -1;
  auto row = (*stmt)->step();
  const int v = (row && *row) ? static_cast<int>((*stmt)->column_int(0)) : -1;
  (*stmt)->reset();
  return v;
}

Status Database::set_user_version(int version) {
  return exec("PRAGMA user_version=" + std::to_string(version));
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }
std::string Database::error_message() const { return sqlite3_errmsg(db_); }

Transaction::Transaction(Database& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) { open_ = begun_.ok(); }

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  if (!open_) return begun_.ok() ? Status(make_error(Errc::database, "transaction already finished")) : begun_;
  open_ = false;
  return db_.exec("COMMIT");
}

}  // namespace baton::sqlite
