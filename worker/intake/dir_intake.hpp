#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"

namespace baton::worker {

// One watched directory: every new subdirectory becomes a case of `workflow`
// once nothing in it has changed for `stable_for`.
struct DirIntakeConfig {
  std::string name;      // the watch's name; also the case id prefix
  std::string dir;
  std::string workflow;
  std::string param = "case_dir";  // the case parameter that receives the subdirectory's path
  std::map<std::string, std::string> params;  // further fixed case parameters
  int priority = 0;
  std::chrono::milliseconds stable_for{30'000};
  std::chrono::milliseconds scan_interval{5'000};
  // When set, a subdirectory is taken only once this file exists in it (a
  // copy tool that writes it last makes stability certain, not a guess).
  std::string ready_file;
  // A file matching one of these names means a copy is still in progress.
  std::vector<std::string> partial_patterns{"*.part", "*.partial", "*.tmp", "*.filepart"};
};

// What a subdirectory looks like now: changes when any file in it is added,
// removed, grows, shrinks or is rewritten.
struct DirFingerprint {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t digest = 0;  // over every (relative path, size, mtime)
  bool partial = false;  // a file matches a partial pattern
  bool ready = true;     // ready_file is present (or not required)
  bool operator==(const DirFingerprint& o) const {
    return files == o.files && bytes == o.bytes && digest == o.digest && partial == o.partial && ready == o.ready;
  }
};
Result<DirFingerprint> fingerprint(const std::string& path, const DirIntakeConfig& config);

struct IntakeSubmission {
  std::string watch;
  std::string name;  // the subdirectory's name
  std::string path;
  std::string case_id;
  std::string workflow;
  std::map<std::string, std::string> params;
  int priority = 0;
};

// <state_dir>/intake.db: every subdirectory ever submitted, so a directory is
// submitted once, across worker restarts. A row is written before the
// submission is published and marked confirmed when the broker has it; an
// unconfirmed row is published again after a restart (the conductor is
// idempotent on the case id). Thread-safe.
class IntakeLedger {
 public:
  static Result<std::unique_ptr<IntakeLedger>> open(const std::string& path);

  Result<bool> known(const std::string& watch, const std::string& name);
  Status record(const IntakeSubmission& submission, TimePoint at);
  Status mark_confirmed(const std::string& case_id);
  Status set_reply(const std::string& case_id, bool accepted, const std::string& reason);
  Result<std::vector<IntakeSubmission>> unconfirmed();

 private:
  explicit IntakeLedger(sqlite::Database db) : db_(std::move(db)) {}
  std::mutex mu_;
  sqlite::Database db_;
};

// Finds the subdirectories that are ready to submit. Not thread-safe: one
// scanning thread owns it.
class DirIntake {
 public:
  DirIntake(std::vector<DirIntakeConfig> watches, IntakeLedger& ledger, const Clock& clock);

  // Records and returns the subdirectories that have become stable since the
  // last scan. Unreadable directories are skipped with a warning, not fatal.
  std::vector<IntakeSubmission> scan();

  // The shortest scan interval of all watches.
  std::chrono::milliseconds scan_interval() const;

 private:
  struct Pending {
    DirFingerprint fingerprint;
    TimePoint unchanged_since;
  };
  void scan_watch(const DirIntakeConfig& watch, std::vector<IntakeSubmission>& out);
  IntakeSubmission submission(const DirIntakeConfig& watch, const std::string& name, const std::string& path) const;

  std::vector<DirIntakeConfig> watches_;
  IntakeLedger& ledger_;
  const Clock& clock_;
  std::map<std::string, Pending> pending_;  // by subdirectory path
};

// "<watch>-<name>" with characters outside [A-Za-z0-9._-] replaced by '_'.
std::string intake_case_id(const std::string& watch, const std::string& name);

}  // namespace baton::worker
