#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/core/clock.hpp"
#include "common/sys/process.hpp"
#include "worker/maintenance/maintenance_runner.hpp"

namespace baton::worker::maintenance::testing {

namespace fs = std::filesystem;

// A fresh directory per test, resolved (so results compare equal to the
// runner's canonical paths), removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "baton-maint-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = fs::canonical(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline void set_mtime(const fs::path& path, TimePoint when) {
  fs::last_write_time(path, std::chrono::file_clock::from_sys(when));
}

inline std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

// Plain sqlite3 on purpose: the tests check the primitives against SQLite
// itself, not against Baton's wrapper.
class TestDb {
 public:
  explicit TestDb(const fs::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "open " << path;
    sqlite3_busy_timeout(db_, 5000);
  }
  ~TestDb() { sqlite3_close(db_); }
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (err ? err : "?");
      sqlite3_free(err);
    }
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* value = sqlite3_column_text(stmt, 0);
      out = value ? reinterpret_cast<const char*>(value) : "";
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

inline std::string gunzip(const fs::path& file) {
  sys::ProcessOptions options;
  options.argv = {"gzip", "-dc", "--", file.string()};
  auto ran = sys::run_process(options);
  EXPECT_TRUE(ran.ok() && ran->exit_code == 0) << file;
  return ran.ok() ? ran->out : "";
}

inline MaintenanceRequest request(std::string action, std::map<std::string, std::string> params,
                                  bool dry_run = false) {
  MaintenanceRequest r;
  r.action = std::move(action);
  r.params = std::move(params);
  r.dry_run = dry_run;
  return r;
}

}  // namespace baton::worker::maintenance::testing
