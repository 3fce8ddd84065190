#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/sqlite/database.hpp"

namespace baton::sqlite {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class BackgroundCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("baton-ckpt-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Each insert is its own commit of about one 4 KiB page of data.
  static void insert_pages(Database& db, int count) {
    for (int i = 0; i < count; ++i) {
      auto st = db.exec("INSERT INTO blobs (data) VALUES (randomblob(4000))");
      ASSERT_TRUE(st.ok()) << st.error().message;
    }
  }

  static bool wait_for_checkpoints(const Database& db, uint64_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (db.background_checkpoints() < count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  fs::path dir_;
};

// The rows reach the database file through the background connection: with
// SQLite's own threshold (1000 pages) nothing would be checkpointed yet.
TEST_F(BackgroundCheckpointTest, ACommitPastTheThresholdIsCheckpointedByTheThread) {
  const std::string path = (dir_ / "app.db").string();
  auto db = Database::open(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)").ok());
  ASSERT_TRUE(db->checkpoint_in_background(64).ok());
  const auto size_before = fs::file_size(path);

  insert_pages(*db, 8);  // about two WAL frames per commit
  EXPECT_EQ(db->background_checkpoints(), 0u) << "below the threshold nothing is due";
  EXPECT_EQ(fs::file_size(path), size_before);
  insert_pages(*db, 100);
  ASSERT_TRUE(wait_for_checkpoints(*db, 1));
  // Fewer than 64 distinct pages: the frames repeat page 1 and the interior pages.
  EXPECT_GT(fs::file_size(path), size_before + 8 * 4096) << "the pages were copied into the database file";
}

// Moved (as the stores are) and closed while it runs: every row is there
// when the file is opened again, and no WAL is left behind.
TEST_F(BackgroundCheckpointTest, SurvivesAMoveAndLeavesACompleteDatabase) {
  const std::string path = (dir_ / "app.db").string();
  {
    auto opened = Database::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Database db = std::move(opened).value();
    ASSERT_TRUE(db.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)").ok());
    ASSERT_TRUE(db.checkpoint_in_background(4).ok());
    Database moved = std::move(db);
    insert_pages(moved, 100);
    ASSERT_TRUE(wait_for_checkpoints(moved, 1));
  }
  EXPECT_FALSE(fs::exists(path + "-wal"));
  auto db = Database::open(path);
  ASSERT_TRUE(db.ok());
  auto count = db->prepare("SELECT COUNT(*) FROM blobs");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE((*count)->step().value());
  EXPECT_EQ((*count)->column_int(0), 100);
}

}  // namespace
}  // namespace baton::sqlite
