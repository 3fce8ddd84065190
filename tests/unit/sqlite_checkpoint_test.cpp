#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/sqlite/database.hpp"

namespace baton::sqlite {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// SQLite's default VFS while it lives, with one difference: the next
// `refusals` exclusive takes of a WAL's checkpoint lock are refused as busy,
// as they are while another connection checkpoints (or, for a moment, while
// the writer appends).
class RefusedCheckpointLock {
 public:
  explicit RefusedCheckpointLock(int refusals) {
    refusals_left_ = refusals;
    refused_ = 0;
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "baton-refused-checkpoint-lock";
    vfs_.xOpen = &open;
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~RefusedCheckpointLock() {
    sqlite3_vfs_register(real_, 1);
    sqlite3_vfs_unregister(&vfs_);
  }
  RefusedCheckpointLock(const RefusedCheckpointLock&) = delete;
  RefusedCheckpointLock& operator=(const RefusedCheckpointLock&) = delete;

  int refused() const { return refused_.load(); }

 private:
  // The file is the real VFS's own; only its method table is swapped for a
  // copy with another xShmLock.
  static int open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    const int rc = real_->xOpen(real_, name, file, flags, out_flags);
    if (rc != SQLITE_OK || file->pMethods == nullptr) return rc;
    if (real_methods_ == nullptr) {
      real_methods_ = file->pMethods;
      methods_ = *real_methods_;
      methods_.xShmLock = &shm_lock;
    }
    if (file->pMethods == real_methods_) file->pMethods = &methods_;
    return rc;
  }

  static int shm_lock(sqlite3_file* file, int offset, int n, int flags) {
    constexpr int kCheckpointLock = 1;  // WAL_CKPT_LOCK in SQLite's wal.c
    if (offset == kCheckpointLock && n == 1 && flags == (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE) &&
        refusals_left_.fetch_sub(1) > 0) {
      refused_.fetch_add(1);
      return SQLITE_BUSY;
    }
    return real_methods_->xShmLock(file, offset, n, flags);
  }

  static inline sqlite3_vfs* real_ = nullptr;
  static inline const sqlite3_io_methods* real_methods_ = nullptr;
  static inline sqlite3_io_methods methods_{};
  static inline std::atomic<int> refusals_left_{0};
  static inline std::atomic<int> refused_{0};
  sqlite3_vfs vfs_{};
};

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

// The commit that asked for a checkpoint may be the last for a long time:
// one found busy is tried again by the thread itself.
TEST_F(BackgroundCheckpointTest, ACheckpointFoundBusyIsTriedAgainWithoutAnotherCommit) {
  RefusedCheckpointLock lock(2);  // outlives the connections that use it
  const std::string path = (dir_ / "app.db").string();
  auto db = Database::open(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)").ok());
  ASSERT_TRUE(db->checkpoint_in_background(16).ok());
  const auto size_before = fs::file_size(path);

  // One commit of about 20 pages, the only one past the threshold.
  ASSERT_TRUE(db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) "
                       "INSERT INTO blobs (data) SELECT randomblob(4000) FROM n")
                  .ok());
  ASSERT_TRUE(wait_for_checkpoints(*db, 1)) << "refused " << lock.refused() << " times, then never tried again";

  EXPECT_EQ(lock.refused(), 2);
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
