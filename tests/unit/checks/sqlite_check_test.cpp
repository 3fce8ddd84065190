#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "check_test_support.hpp"

namespace baton::worker::checks {
namespace {

using testing::request;

class Connection {
 public:
  explicit Connection(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~Connection() { sqlite3_close(db_); }
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

 private:
  sqlite3* db_ = nullptr;
};

// A rollback-journal database with enough rows to span many pages.
std::string make_database(const testing::TempDir& dir, const std::string& name) {
  std::string path = dir.file(name);
  Connection db(path);
  EXPECT_EQ(db.exec("PRAGMA page_size=1024; PRAGMA journal_mode=DELETE;"
                    "CREATE TABLE jobs(id INTEGER PRIMARY KEY, name TEXT, payload TEXT);"
                    "CREATE INDEX jobs_name ON jobs(name);"
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                    "INSERT INTO jobs(name, payload) SELECT 'job-' || i, hex(randomblob(40)) FROM n;"),
            SQLITE_OK);
  return path;
}

class SqliteCheckTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  CheckRunner runner_{ChecksConfig{}};
};

TEST_F(SqliteCheckTest, HealthyDatabaseIsOkInBothModes) {
  std::string path = make_database(dir_, "good.db");
  auto quick = runner_.run(request("sqlite", {{"path", path}}));
  EXPECT_EQ(quick.state, CheckState::ok) << quick.output;
  EXPECT_EQ(quick.output, path + ": quick_check ok");
  auto full = runner_.run(request("sqlite", {{"path", path}, {"mode", "integrity"}}));
  EXPECT_EQ(full.state, CheckState::ok) << full.output;
  EXPECT_EQ(full.output, path + ": integrity_check ok");
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(SqliteCheckTest, CheckLeavesTheDatabaseUntouched) {
  std::string path = make_database(dir_, "same.db");
  const std::string before = bytes_of(path);
  EXPECT_EQ(runner_.run(request("sqlite", {{"path", path}, {"mode", "integrity"}})).state, CheckState::ok);
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}), 1);
}

TEST_F(SqliteCheckTest, MissingFileIsCriticalAndNotCreated) {
  std::string path = dir_.file("absent.db");
  auto outcome = runner_.run(request("sqlite", {{"path", path}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("does not exist"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SqliteCheckTest, LockedByAWriterIsWarningWithTheReason) {
  std::string path = make_database(dir_, "busy.db");
  Connection writer(path);
  ASSERT_EQ(writer.exec("BEGIN EXCLUSIVE; INSERT INTO jobs(name) VALUES ('held');"), SQLITE_OK);

  auto outcome = runner_.run(request("sqlite", {{"path", path}, {"busy_timeout", "0"}}));
  EXPECT_EQ(outcome.state, CheckState::warning);
  EXPECT_NE(outcome.output.find("is locked by another connection"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("database is locked"), std::string::npos) << outcome.output;

  auto strict = runner_.run(request("sqlite", {{"path", path}, {"busy_timeout", "0"}, {"busy_state", "critical"}}));
  EXPECT_EQ(strict.state, CheckState::critical);

  ASSERT_EQ(writer.exec("COMMIT;"), SQLITE_OK);
  EXPECT_EQ(runner_.run(request("sqlite", {{"path", path}})).state, CheckState::ok);
}

TEST_F(SqliteCheckTest, NotADatabaseIsCritical) {
  std::string path = dir_.write("garbage.db", std::string(8192, 'z'));
  auto outcome = runner_.run(request("sqlite", {{"path", path}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("is corrupt"), std::string::npos) << outcome.output;
}

TEST_F(SqliteCheckTest, DamagedPagesAreCritical) {
  std::string path = make_database(dir_, "damaged.db");
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 40u * 1024);
  {
    // Scribble over pages in the middle: b-tree pages of the table and index.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    for (uint64_t page = 4; page * 1024 < size - 1024; page += 7) {
      file.seekp(static_cast<std::streamoff>(page * 1024 + 8));
      std::string junk(300, '\x5a');
      file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
  }
  for (const char* mode : {"quick", "integrity"}) {
    auto outcome = runner_.run(request("sqlite", {{"path", path}, {"mode", mode}}));
    EXPECT_EQ(outcome.state, CheckState::critical) << mode << ": " << outcome.output;
    EXPECT_NE(outcome.output.find("is corrupt"), std::string::npos) << outcome.output;
  }
}

TEST_F(SqliteCheckTest, BadModeIsUnknown) {
  auto outcome = runner_.run(request("sqlite", {{"path", dir_.file("x.db")}, {"mode", "deep"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("param 'mode'"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
