#include "common/sqlite/maintenance.hpp"

#include <gtest/gtest.h>

#include "tests/unit/maintenance/maintenance_test_support.hpp"

namespace baton::sqlite {
namespace {

using namespace std::chrono_literals;
using worker::maintenance::testing::TempDir;
using worker::maintenance::testing::TestDb;
namespace fs = std::filesystem;

const TimePoint kNow = from_unix_ms(1'750'000'000'000);  // 2025-06-15T15:06:40Z

class SqlitePrimitivesTest : public ::testing::Test {
 protected:
  fs::path db_path() const { return tmp_ / "app.db"; }

  // 2 rows 40 and 31 days old, 2 rows 29 days and 1 hour old, plus a NULL
  // and a non-time value that retention must keep.
  void create_events(TestDb& db, TimeFormat format) {
    db.exec("CREATE TABLE events (id INTEGER PRIMARY KEY, at, note TEXT)");
    for (auto age : {24h * 40, 24h * 31, 24h * 29, 1h}) {
      const TimePoint at = kNow - age;
      std::string value;
      if (format == TimeFormat::unix_s) value = std::to_string(to_unix_ms(at) / 1000);
      if (format == TimeFormat::unix_ms) value = std::to_string(to_unix_ms(at));
      if (format == TimeFormat::iso8601) {
        const std::time_t t = std::chrono::system_clock::to_time_t(at);
        std::tm utc{};
        gmtime_r(&t, &utc);
        char text[32];
        std::strftime(text, sizeof text, age > 24h * 35 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &utc);
        value = "'" + std::string(text) + "'";
      }
      db.exec("INSERT INTO events (at, note) VALUES (" + value + ", 'age " + std::to_string(age.count()) + "')");
    }
    db.exec("INSERT INTO events (at, note) VALUES (NULL, 'null')");
    db.exec(format == TimeFormat::iso8601 ? "INSERT INTO events (at, note) VALUES (5, 'a number')"
                                          : "INSERT INTO events (at, note) VALUES ('yesterday', 'text')");
  }

  void expect_retention_deletes_the_two_old_rows(TimeFormat format) {
    TestDb db(db_path());
    create_events(db, format);
    const TimePoint cutoff = kNow - 24h * 30;
    auto counted = count_older_than(db.handle(), "events", "at", cutoff, format);
    ASSERT_TRUE(counted.ok()) << counted.error().message;
    EXPECT_EQ(*counted, 2);
    auto deleted = delete_older_than(db.handle(), "events", "at", cutoff, format);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_EQ(*deleted, 2);
    EXPECT_EQ(db.integer("SELECT count(*) FROM events"), 4);
    EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE note IN ('age 960', 'age 744')"), 0)
        << "the 40 and 31 day old rows are gone";
  }

  TempDir tmp_;
};

TEST_F(SqlitePrimitivesTest, DeletesRowsOlderThanTheCutoffInUnixSeconds) {
  expect_retention_deletes_the_two_old_rows(TimeFormat::unix_s);
}

TEST_F(SqlitePrimitivesTest, DeletesRowsOlderThanTheCutoffInUnixMilliseconds) {
  expect_retention_deletes_the_two_old_rows(TimeFormat::unix_ms);
}

TEST_F(SqlitePrimitivesTest, DeletesRowsOlderThanTheCutoffInIso8601TextOnly) {
  expect_retention_deletes_the_two_old_rows(TimeFormat::iso8601);
}

TEST_F(SqlitePrimitivesTest, DeletesInBatchesUntilNothingOldIsLeft) {
  TestDb db(db_path());
  db.exec("CREATE TABLE log (at INTEGER)");
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25) "
          "INSERT INTO log SELECT i FROM n");
  auto deleted = delete_older_than(db.handle(), "log", "at", from_unix_ms(21'000), TimeFormat::unix_s,
                                   DeleteOptions{.batch_rows = 4});
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, 20);
  EXPECT_EQ(db.integer("SELECT min(at) FROM log"), 21);
}

TEST_F(SqlitePrimitivesTest, RefusesNamesThatAreNotPlainIdentifiers) {
  TestDb db(db_path());
  db.exec("CREATE TABLE events (at INTEGER)");
  for (const char* table : {"events; DROP TABLE events", "\"events\"", "1events", ""}) {
    auto deleted = delete_older_than(db.handle(), table, "at", kNow, TimeFormat::unix_s);
    ASSERT_FALSE(deleted.ok()) << table;
    EXPECT_EQ(deleted.error().code, Errc::invalid_argument);
  }
  EXPECT_FALSE(delete_older_than(db.handle(), "events", "at or 1=1", kNow, TimeFormat::unix_s).ok());
  EXPECT_TRUE(is_identifier("check_results_history"));
  EXPECT_FALSE(is_identifier("a-b"));
}

TEST_F(SqlitePrimitivesTest, IntegrityCheckIsCleanOnAHealthyDatabase) {
  TestDb db(db_path());
  create_events(db, TimeFormat::unix_s);
  for (auto mode : {IntegrityMode::quick, IntegrityMode::full}) {
    auto problems = integrity_check(db.handle(), mode);
    ASSERT_TRUE(problems.ok()) << problems.error().message;
    EXPECT_TRUE(problems->empty()) << problems->front();
  }
}

TEST_F(SqlitePrimitivesTest, IntegrityCheckReportsAnIndexThatDisagreesWithItsTable) {
  {
    TestDb db(db_path());
    db.exec("CREATE TABLE t (a INTEGER, b INTEGER); CREATE INDEX t_a ON t(a);");
    db.exec("INSERT INTO t VALUES (1, 100), (2, 200), (3, 300)");
    // The index holds column a; claim it indexes b.
    db.exec("PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql='CREATE INDEX t_a ON t(b)' WHERE name='t_a';");
  }
  TestDb db(db_path());
  auto problems = integrity_check(db.handle(), IntegrityMode::full);
  ASSERT_TRUE(problems.ok()) << problems.error().message;
  ASSERT_FALSE(problems->empty());
  EXPECT_NE(problems->front().find("t_a"), std::string::npos) << problems->front();
}

TEST_F(SqlitePrimitivesTest, CheckpointTruncatesTheWal) {
  TestDb db(db_path());
  db.exec("PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);");
  ASSERT_GT(fs::file_size(db_path().string() + "-wal"), 0u);
  auto checkpoint = wal_checkpoint_truncate(db.handle());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
  EXPECT_FALSE(checkpoint->busy);
  EXPECT_EQ(fs::file_size(db_path().string() + "-wal"), 0u);
  EXPECT_EQ(db.integer("SELECT count(*) FROM t"), 3);
}

TEST_F(SqlitePrimitivesTest, VacuumGivesDeletedPagesBack) {
  TestDb db(db_path());
  db.exec("CREATE TABLE blobs (b BLOB)");
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
          "INSERT INTO blobs SELECT zeroblob(4096) FROM n");
  db.exec("DELETE FROM blobs");
  const auto before = fs::file_size(db_path());
  ASSERT_TRUE(vacuum(db.handle()).ok());
  EXPECT_LT(fs::file_size(db_path()), before / 10);
  EXPECT_TRUE(analyze(db.handle()).ok());
  EXPECT_TRUE(reindex(db.handle()).ok());
}

TEST_F(SqlitePrimitivesTest, OnlineBackupCopiesCommittedRowsWhileAWriterHoldsATransaction) {
  TestDb writer(db_path());
  writer.exec("PRAGMA journal_mode=WAL; CREATE TABLE t (x TEXT);");
  writer.exec("INSERT INTO t VALUES ('committed-1'), ('committed-2')");
  writer.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES ('uncommitted');");

  const fs::path dest = tmp_ / "backups" / "app-copy.db";
  fs::create_directories(dest.parent_path());
  BackupOptions one_page_at_a_time;
  one_page_at_a_time.pages_per_step = 1;
  auto backup = online_backup(db_path().string(), dest.string(), one_page_at_a_time);
  writer.exec("COMMIT");
  ASSERT_TRUE(backup.ok()) << backup.error().message;
  EXPECT_GT(backup->pages, 1);
  EXPECT_EQ(backup->bytes, fs::file_size(dest));
  EXPECT_EQ(worker::maintenance::testing::names_in(dest.parent_path()), std::set<std::string>{"app-copy.db"})
      << "no -wal, -shm or .partial left beside the backup";

  TestDb copy(dest);
  EXPECT_EQ(copy.text("SELECT group_concat(x, ',') FROM (SELECT x FROM t ORDER BY x)"), "committed-1,committed-2");
  auto problems = integrity_check(copy.handle(), IntegrityMode::full);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
}

TEST_F(SqlitePrimitivesTest, OnlineBackupPastItsDeadlineLeavesNoFile) {
  TestDb db(db_path());
  db.exec("CREATE TABLE t (b BLOB)");
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) "
          "INSERT INTO t SELECT zeroblob(4096) FROM n");
  BackupOptions expired;
  expired.pages_per_step = 1;
  expired.deadline = std::chrono::steady_clock::now() - 1s;
  auto backup = online_backup(db_path().string(), (tmp_ / "copy.db").string(), expired);
  ASSERT_FALSE(backup.ok());
  EXPECT_EQ(backup.error().code, Errc::timeout);
  EXPECT_EQ(worker::maintenance::testing::names_in(tmp_.path()), std::set<std::string>{"app.db"});
}

TEST_F(SqlitePrimitivesTest, StatementsStopOnceTheDeadlineHasPassed) {
  TestDb db(db_path());
  const std::string long_query =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000) SELECT count(*) FROM n";
  {
    InterruptAtDeadline interrupt(db.handle(), std::chrono::steady_clock::now() - 1s);
    EXPECT_NE(sqlite3_exec(db.handle(), long_query.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_errcode(db.handle()), SQLITE_INTERRUPT);
  }
  EXPECT_EQ(db.integer("SELECT count(*) FROM (SELECT 1 UNION ALL SELECT 2)"), 2) << "the handler is gone";
}

TEST_F(SqlitePrimitivesTest, OnlineBackupRefusesToOverwriteAndReportsAMissingSource) {
  { TestDb db(db_path()); db.exec("CREATE TABLE t (x)"); }
  worker::maintenance::testing::write_file(tmp_ / "taken.db", "keep me");
  auto taken = online_backup(db_path().string(), (tmp_ / "taken.db").string());
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, Errc::conflict);
  EXPECT_EQ(worker::maintenance::testing::read_file(tmp_ / "taken.db"), "keep me");

  auto missing = online_backup((tmp_ / "missing.db").string(), (tmp_ / "out.db").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(fs::exists(tmp_ / "missing.db"));
  EXPECT_FALSE(fs::exists(tmp_ / "out.db"));
}

TEST_F(SqlitePrimitivesTest, BackupNamesAreDatedAndRecognised) {
  EXPECT_EQ(backup_file_name("app", kNow), "app-20250615-150640.db");
  EXPECT_TRUE(is_backup_file_name("app-20250615-150640.db", "app"));
  EXPECT_FALSE(is_backup_file_name("app-20250615-150640.db.partial", "app"));
  EXPECT_FALSE(is_backup_file_name("app2-20250615-150640.db", "app"));
  EXPECT_FALSE(is_backup_file_name("app-2025061x-150640.db", "app"));
  EXPECT_FALSE(is_backup_file_name("app.db", "app"));
}

TEST_F(SqlitePrimitivesTest, PruneKeepsTheNewestBackupsAndTouchesNothingElse) {
  const fs::path dir = tmp_ / "backups";
  for (int day = 1; day <= 5; ++day) {
    worker::maintenance::testing::write_file(dir / backup_file_name("app", kNow + 24h * day), "b");
  }
  for (const char* other : {"app.db", "app-latest.db", "other-20250101-000000.db", "app-20250101-000000.db.partial"}) {
    worker::maintenance::testing::write_file(dir / other, "o");
  }
  auto removed = prune_backups(dir, "app", 2);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(removed->size(), 3u);
  const std::set<std::string> expected = {backup_file_name("app", kNow + 24h * 4),
                                          backup_file_name("app", kNow + 24h * 5),
                                          "app.db", "app-latest.db", "other-20250101-000000.db",
                                          "app-20250101-000000.db.partial"};
  EXPECT_EQ(worker::maintenance::testing::names_in(dir), expected);
}

TEST_F(SqlitePrimitivesTest, OpenExistingLeavesTheJournalModeAlone) {
  { TestDb db(db_path()); db.exec("CREATE TABLE t (x)"); }
  auto connection = Connection::open_existing(db_path().string());
  ASSERT_TRUE(connection.ok()) << connection.error().message;
  auto missing = Connection::open_existing((tmp_ / "missing.db").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(fs::exists(tmp_ / "missing.db"));
  worker::maintenance::testing::write_file(tmp_ / "not-a-db", std::string(4096, 'x'));
  EXPECT_FALSE(Connection::open_existing((tmp_ / "not-a-db").string()).ok());
  TestDb check(db_path());
  EXPECT_EQ(check.text("PRAGMA journal_mode"), "delete");
}

}  // namespace
}  // namespace baton::sqlite
