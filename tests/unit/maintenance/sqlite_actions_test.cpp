#include <gtest/gtest.h>

#include "common/sqlite/maintenance.hpp"
#include "tests/unit/maintenance/maintenance_test_support.hpp"

namespace baton::worker::maintenance {
namespace {

using namespace std::chrono_literals;
using namespace testing;
namespace fs = std::filesystem;

class SqliteActionsTest : public ::testing::Test {
 protected:
  SqliteActionsTest() {
    fs::create_directories(tmp_ / "data");
    TestDb db(db_);
    db.exec("CREATE TABLE results (id INTEGER PRIMARY KEY, checked_at INTEGER, output TEXT)");
    db.exec("CREATE INDEX results_at ON results(checked_at)");
    const int64_t now_s = to_unix_ms(clock_.now()) / 1000;
    // Days old: 45, 40, 35, 20, 10, 0; the rule keeps 30 days.
    for (int days : {45, 40, 35, 20, 10, 0}) {
      db.exec("INSERT INTO results (checked_at, output) VALUES (" + std::to_string(now_s - days * 86400) + ", 'd" +
              std::to_string(days) + "')");
    }
  }

  MaintenanceRunner runner(bool with_rule = true) {
    MaintenanceConfig c;
    c.allowed_roots = {(tmp_ / "data").string()};
    if (with_rule) {
      c.sqlite_retention.push_back({db_.string(), "results", "checked_at", 24h * 30, sqlite::TimeFormat::unix_s});
    }
    return MaintenanceRunner(c, clock_);
  }

  std::string remaining() {
    TestDb db(db_);
    return db.text("SELECT group_concat(output, ',') FROM (SELECT output FROM results ORDER BY id)");
  }

  TempDir tmp_;
  fs::path db_ = tmp_ / "data" / "checks.db";
  ManualClock clock_;
};

TEST_F(SqliteActionsTest, RetentionDeletesExactlyTheRowsPastTheConfiguredAge) {
  auto r = runner();
  const auto dry =
      r.run(request("sqlite_maintenance", {{"database", db_.string()}, {"operations", "retention"}}, true));
  ASSERT_TRUE(dry.ok) << dry.message;
  EXPECT_EQ(dry.details["operations"][0]["rules"][0]["rows_to_delete"], 3);
  EXPECT_EQ(remaining(), "d45,d40,d35,d20,d10,d0");

  const auto real = r.run(request("sqlite_maintenance", {{"database", db_.string()}, {"operations", "retention"}}));
  ASSERT_TRUE(real.ok) << real.message;
  EXPECT_EQ(real.details["operations"][0]["rules"][0]["rows_deleted"], 3);
  EXPECT_EQ(remaining(), "d20,d10,d0");
}

TEST_F(SqliteActionsTest, RunsEachOperationInOrderAndReportsSizes) {
  {
    TestDb db(db_);
    db.exec("CREATE TABLE filler (b BLOB)");
    db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
            "INSERT INTO filler SELECT zeroblob(4096) FROM n");
    db.exec("DELETE FROM filler");
  }
  auto r = runner();
  const auto outcome = r.run(request(
      "sqlite_maintenance",
      {{"database", db_.string()},
       {"operations", "retention, checkpoint,vacuum,analyze,reindex,quick_check,integrity"}}));
  ASSERT_TRUE(outcome.ok) << outcome.message;
  std::vector<std::string> ops;
  for (const auto& op : outcome.details["operations"]) {
    ops.push_back(op["op"]);
    EXPECT_TRUE(op["ok"].get<bool>()) << op.dump();
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"retention", "checkpoint", "vacuum", "analyze", "reindex", "quick_check",
                                           "integrity"}));
  EXPECT_LT(outcome.details["size_after"].get<uint64_t>(), outcome.details["size_before"].get<uint64_t>());
  EXPECT_EQ(remaining(), "d20,d10,d0");
  TestDb db(db_);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "delete") << "maintenance must not switch the database to WAL";
}

TEST_F(SqliteActionsTest, ReportsIntegrityProblemsAsAFailure) {
  {
    TestDb db(db_);
    db.exec("PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql='CREATE INDEX results_at ON results(output)' "
            "WHERE name='results_at';");
  }
  auto r = runner();
  const auto outcome =
      r.run(request("sqlite_maintenance", {{"database", db_.string()}, {"operations", "integrity,vacuum"}}));
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.refused);
  ASSERT_EQ(outcome.details["operations"].size(), 1u) << "vacuum must not run on a damaged database";
  EXPECT_FALSE(outcome.details["operations"][0]["problems"].empty());
}

TEST_F(SqliteActionsTest, RefusesUnknownOperationsMissingRulesAndOutsidePaths) {
  auto r = runner(false);
  const auto unknown =
      r.run(request("sqlite_maintenance", {{"database", db_.string()}, {"operations", "vacuum,drop"}}));
  EXPECT_TRUE(unknown.refused);
  EXPECT_NE(unknown.message.find("unknown operation drop"), std::string::npos) << unknown.message;
  const auto no_rule = r.run(request("sqlite_maintenance", {{"database", db_.string()}, {"operations", "retention"}}));
  EXPECT_TRUE(no_rule.refused);
  EXPECT_NE(no_rule.message.find("no sqlite_retention rules"), std::string::npos) << no_rule.message;
  fs::copy_file(db_, tmp_ / "other.db");
  const auto outside =
      r.run(request("sqlite_maintenance", {{"database", (tmp_ / "other.db").string()}, {"operations", "vacuum"}}));
  EXPECT_TRUE(outside.refused);
  EXPECT_EQ(remaining(), "d45,d40,d35,d20,d10,d0");
}

TEST_F(SqliteActionsTest, BackupIsDatedRestorableIntegrityCheckedAndPruned) {
  auto r = runner();
  const fs::path dest_dir = tmp_ / "data" / "backups";
  std::vector<std::string> made;
  for (int i = 0; i < 3; ++i) {
    const auto outcome =
        r.run(request("sqlite_backup", {{"database", db_.string()}, {"dest_dir", dest_dir.string()}, {"keep", "2"}}));
    ASSERT_TRUE(outcome.ok) << outcome.message;
    EXPECT_EQ(outcome.details["integrity"], "ok");
    made.push_back(outcome.details["backup"]);
    clock_.advance(1h);
  }
  EXPECT_EQ(fs::path(made[0]).filename(), sqlite::backup_file_name("checks", clock_.now() - 3h));
  EXPECT_EQ(names_in(dest_dir), (std::set<std::string>{fs::path(made[1]).filename().string(),
                                                       fs::path(made[2]).filename().string()}));

  TestDb restored(made[2]);
  EXPECT_EQ(restored.text("SELECT group_concat(output, ',') FROM (SELECT output FROM results ORDER BY id)"),
            "d45,d40,d35,d20,d10,d0");
  auto problems = sqlite::integrity_check(restored.handle(), sqlite::IntegrityMode::full);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
}

TEST_F(SqliteActionsTest, BackupDryRunNamesTheFileAndWhatWouldBePruned) {
  auto r = runner();
  const fs::path dest_dir = tmp_ / "data" / "backups";
  write_file(dest_dir / sqlite::backup_file_name("checks", clock_.now() - 48h), "old");
  write_file(dest_dir / sqlite::backup_file_name("checks", clock_.now() - 24h), "newer");
  const auto outcome = r.run(
      request("sqlite_backup", {{"database", db_.string()}, {"dest_dir", dest_dir.string()}, {"keep", "2"}}, true));
  ASSERT_TRUE(outcome.ok) << outcome.message;
  EXPECT_EQ(outcome.details["backup"], (dest_dir / sqlite::backup_file_name("checks", clock_.now())).string());
  EXPECT_EQ(outcome.details["would_prune"],
            nlohmann::json::array({(dest_dir / sqlite::backup_file_name("checks", clock_.now() - 48h)).string()}));
  EXPECT_EQ(names_in(dest_dir).size(), 2u);
}

TEST_F(SqliteActionsTest, BackupRefusesADestinationOutsideTheRoots) {
  auto r = runner();
  const auto outcome =
      r.run(request("sqlite_backup", {{"database", db_.string()}, {"dest_dir", (tmp_ / "exfil").string()}}));
  EXPECT_TRUE(outcome.refused);
  EXPECT_NE(outcome.message.find("parameter dest_dir"), std::string::npos) << outcome.message;
  EXPECT_FALSE(fs::exists(tmp_ / "exfil"));
}

}  // namespace
}  // namespace baton::worker::maintenance
