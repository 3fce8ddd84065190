#include <gtest/gtest.h>

#include <filesystem>

#include "common/sqlite/maintenance.hpp"
#include "conductor/core/database_keeper.hpp"

namespace baton::conductor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DatabaseKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("keeper-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_path_ = (dir_ / "baton.db").string();
    store_ = std::move(ConductorStore::open(db_path_).value());
    // 2026-03-10 01:00 UTC
    clock_.set(from_unix_ms(1773104400000));
  }
  void TearDown() override {
    keeper_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  void make_keeper(DatabaseUpkeepConfig config) {
    keeper_ = std::make_unique<DatabaseKeeper>(*store_, db_path_, clock_, std::move(config),
                                               [this](std::function<void()> change) -> Status {
                                                 if (auto st = store_->begin_batch(); !st) return st;
                                                 change();
                                                 return store_->commit_batch();
                                               });
    ASSERT_TRUE(keeper_->load().ok());
  }
  void add_result(const std::string& command, TimePoint at) {
    CheckResultRecord r;
    r.worker_id = "w1";
    r.check = "disk";
    r.command_id = command;
    r.state = CheckState::ok;
    r.at = at;
    ASSERT_TRUE(store_->begin_batch().ok());
    ASSERT_TRUE(store_->record_check_result(r).ok());
    ASSERT_TRUE(store_->commit_batch().ok());
  }

  fs::path dir_;
  std::string db_path_;
  ManualClock clock_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<DatabaseKeeper> keeper_;
};

TEST_F(DatabaseKeeperTest, HousekeepingDeletesExactlyTheRowsPastTheirRetention) {
  DatabaseUpkeepConfig config;
  config.retention = {{"check_history", 24h * 30}};
  make_keeper(config);
  add_result("old", clock_.now() - 24h * 31);
  add_result("edge", clock_.now() - 24h * 30 + 1s);
  add_result("new", clock_.now());
  auto deleted = keeper_->housekeep();
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->at("check_history"), 1);
  std::vector<std::string> left;
  for (const auto& r : store_->check_history({}).value()) left.push_back(r.command_id);
  EXPECT_EQ(left, (std::vector<std::string>{"new", "edge"}));
}

TEST_F(DatabaseKeeperTest, TheNightlyBackupIsVerifiedRestorableAndKeepsN) {
  DatabaseUpkeepConfig config;
  config.backup_dir = (dir_ / "backups").string();
  config.backup_keep = 2;
  make_keeper(config);
  add_result("r1", clock_.now());
  for (int night = 0; night < 3; ++night) {
    keeper_->tick();  // 01:00: nothing due yet
    keeper_->stop();
    clock_.advance(1h);  // 02:00, the default backup time
    keeper_->tick();
    keeper_->stop();  // waits for the copy
    clock_.advance(23h);
  }
  const auto backups = sqlite::list_backups(dir_ / "backups", "baton").value();
  ASSERT_EQ(backups.size(), 2u) << "keep 2";
  auto copy = ConductorStore::open(backups.back().string(), true);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ((*copy)->check_history({}).value().size(), 1u) << "the rows are in the copy";
  auto conn = sqlite::Connection::open_existing(backups.back().string(), true).value();
  EXPECT_TRUE(sqlite::integrity_check(conn.handle(), sqlite::IntegrityMode::full).value().empty());
}

}  // namespace
}  // namespace baton::conductor
