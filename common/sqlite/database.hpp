#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace baton::sqlite {

// A prepared statement. Bind by 1-based index; step() until it returns false;
// Database::prepare() hands out cached statements already reset.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, unsigned value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, uint64_t value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind_null(int index);
  Statement& bind_blob(int index, std::string_view bytes);

  // true: a row is ready; false: done. Errors carry SQLite's message.
  Result<bool> step();
  // step() for statements that return no rows.
  Status run();
  void reset();

  int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  std::string column_blob(int col) const;
  bool column_is_null(int col) const;

 private:
  sqlite3_stmt* stmt_;
};

// Calls each(stmt) for every row of a query; the statement is reset after,
// also when a step fails.
template <class Each>
Status for_each_row(Statement& stmt, Each each) {
  while (true) {
    auto row = stmt.step();
    if (!row) {
      stmt.reset();
      return row.error();
    }
    if (!*row) break;
    each(stmt);
  }
  stmt.reset();
  return {};
}

// Every row of a query, each made into a T by read(stmt).
template <class T, class Read>
Result<std::vector<T>> collect(Statement& stmt, Read read) {
  std::vector<T> out;
  if (auto st = for_each_row(stmt, [&](const Statement& row) { out.push_back(read(row)); }); !st) return st.error();
  return out;
}

class BackgroundCheckpointer;

// Process-wide SQLite settings (no allocation statistics), made once, before
// the first connection and while no other thread uses SQLite: run_main calls
// it first thing, Database::open too. false: SQLite was in use already and
// nothing changed.
bool configure_library();

class Database {
 public:
  // WAL mode, foreign keys on, a busy timeout so a reader never fails on a
  // writer's checkpoint. The parent directory is created if missing.
  static Result<Database> open(const std::string& path, bool read_only = false);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Status exec(const std::string& sql);
  // Cached per SQL text; the statement is reset and its bindings cleared.
  Result<Statement*> prepare(const std::string& sql);
  // Resets every cached statement, so none still holds a read open (a WAL
  // checkpoint or VACUUM is refused while one does).
  void reset_statements();

  int user_version();
  Status set_user_version(int version);
  int64_t changes() const;
  std::string error_message() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

  // From now on the WAL is checkpointed (PASSIVE) by a thread of its own,
  // over a connection of its own, once a commit leaves it at `pages` or
  // more; this connection's commits no longer run a checkpoint. A commit
  // that crossed SQLite's automatic threshold used to wait for the
  // checkpoint's copying and fsyncs (several ms on a virtual disk), and that
  // commit was whatever the core was doing then, e.g. placing a case. For
  // the one writing connection of a file.
  Status checkpoint_in_background(int pages = 1000);
  // Checkpoints the background thread has completed (a busy one is tried
  // again, and counted once it succeeds).
  uint64_t background_checkpoints() const;

 private:
  Database(sqlite3* db, std::string path);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
  std::unique_ptr<BackgroundCheckpointer> checkpointer_;  // stopped before db_ closes
};

// Commits on commit(), rolls back when destroyed otherwise.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Status begun() const { return begun_; }
  Status commit();

 private:
  Database& db_;
  Status begun_;
  bool open_ = false;
};

}  // namespace baton::sqlite
