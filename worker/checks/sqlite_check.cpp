#include <sqlite3.h>

#include <filesystem>
#include <memory>

#include "worker/checks/builtin_checks.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;

constexpr int kMaxProblemRows = 20;

struct DeadlineGuard {
  const CheckContext* context;
  bool fired = false;
};

// Called by SQLite every few thousand VM steps: a long integrity_check on a
// large file stops at the check's deadline instead of holding the thread.
int stop_at_deadline(void* data) {
  auto* guard = static_cast<DeadlineGuard*>(data);
  if (guard->context->expired()) guard->fired = true;
  return guard->fired ? 1 : 0;
}

}  // namespace

Result<CheckReport> check_sqlite(const CheckContext& context, CheckParams& params) {
  std::string path = params.required("path");
  std::string mode = params.one_of("mode", "quick", {"quick", "integrity"});
  milliseconds busy_timeout = params.duration("busy_timeout", milliseconds(1000), milliseconds(0), milliseconds(600'000));
  CheckState busy_state = params.state("busy_state", CheckState::warning);
  if (auto s = params.status(); !s) return s.error();

  Verdict verdict;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    verdict.raise(CheckState::critical, path + (std::filesystem::exists(path, ec) ? " is not a regular file" : " does not exist"));
    return verdict.report("");
  }

  sqlite3* raw = nullptr;
  // Read-only and without CREATE: a check never makes or changes a database.
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  if (rc != SQLITE_OK)
    return make_error(Errc::database, "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  const milliseconds busy_wait = std::min(busy_timeout, context.remaining());
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_wait.count()));
  DeadlineGuard guard{&context};
  sqlite3_progress_handler(db.get(), 1000, stop_at_deadline, &guard);

  const std::string pragma = (mode == "quick" ? "PRAGMA quick_check(" : "PRAGMA integrity_check(") +
                             std::to_string(kMaxProblemRows) + ")";
  sqlite3_stmt* raw_stmt = nullptr;
  std::vector<std::string> rows;
  rc = sqlite3_prepare_v2(db.get(), pragma.c_str(), -1, &raw_stmt, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw_stmt, sqlite3_finalize);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt.get(), 0);
      rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
  }

  const int primary = rc & 0xff;
  const std::string message = sqlite3_errmsg(db.get());
  if (guard.fired || primary == SQLITE_INTERRUPT) return context.timed_out("in " + mode + "_check of " + path);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    verdict.raise(busy_state, path + " is locked by another connection (" + message + " after waiting " +
                                  std::to_string(busy_wait.count()) + " ms)");
    return verdict.report("");
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    verdict.raise(CheckState::critical, path + " is corrupt: " + message);
    return verdict.report("");
  }
  if (primary != SQLITE_DONE) return make_error(Errc::database, mode + "_check of " + path + " failed: " + message);

  if (rows.size() == 1 && rows[0] == "ok") return verdict.report(path + ": " + mode + "_check ok");
  std::string detail;
  for (const auto& row : rows) detail += "\n" + row;
  verdict.raise(CheckState::critical, path + " is corrupt: " + mode + "_check found " +
                                          (rows.size() >= kMaxProblemRows ? "at least " : "") +
                                          std::to_string(rows.size()) + " problem(s)");
  CheckReport report = verdict.report("");
  report.output += detail;
  return report;
}

}  // namespace baton::worker::checks
