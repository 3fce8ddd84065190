#include <gtest/gtest.h>

#include "tests/unit/maintenance/maintenance_test_support.hpp"

namespace baton::worker::maintenance {
namespace {

using namespace std::chrono_literals;
using namespace testing;
namespace fs = std::filesystem;

class CleanupTest : public ::testing::Test {
 protected:
  CleanupTest() : runner_(config(), clock_) {
    fs::create_directories(root_);
    fs::create_directories(tmp_ / "outside");
  }

  MaintenanceConfig config() {
    MaintenanceConfig c;
    c.allowed_roots = {(tmp_ / "spool").string()};
    return c;
  }

  void file(const std::string& relative, std::chrono::hours age, size_t bytes = 10) {
    write_file(root_ / relative, std::string(bytes, 'x'));
    set_mtime(root_ / relative, clock_.now() - age);
  }

  static std::set<std::string> listed(const MaintenanceOutcome& outcome) {
    std::set<std::string> paths;
    for (const auto& entry : outcome.details["files"]) paths.insert(entry["path"].get<std::string>());
    return paths;
  }

  MaintenanceOutcome cleanup(std::map<std::string, std::string> params, bool dry_run) {
    params.emplace("dir", root_.string());
    return runner_.run(request("cleanup", std::move(params), dry_run));
  }

  TempDir tmp_;
  fs::path root_ = tmp_ / "spool";
  ManualClock clock_;
  MaintenanceRunner runner_;
};

TEST_F(CleanupTest, DryRunDeletesNothingAndTheRealRunDeletesExactlyWhatItListed) {
  file("old-1.tmp", 24h * 10, 100);
  file("old-2.tmp", 24h * 8, 50);
  file("new.tmp", 24h * 6);
  file("old.keep", 24h * 30);
  file("sub/old-3.tmp", 24h * 30);

  const auto dry = cleanup({{"pattern", "*.tmp"}, {"older_than", "7d"}}, true);
  ASSERT_TRUE(dry.ok) << dry.message;
  const std::set<std::string> expected = {(root_ / "old-1.tmp").string(), (root_ / "old-2.tmp").string()};
  EXPECT_EQ(listed(dry), expected);
  EXPECT_EQ(dry.details["bytes"], 150);
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"old-1.tmp", "old-2.tmp", "new.tmp", "old.keep", "sub"}));

  const auto real = cleanup({{"pattern", "*.tmp"}, {"older_than", "7d"}}, false);
  ASSERT_TRUE(real.ok) << real.message;
  EXPECT_EQ(listed(real), listed(dry));
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"new.tmp", "old.keep", "sub"}));
  EXPECT_TRUE(fs::exists(root_ / "sub" / "old-3.tmp"));
  const std::vector<std::pair<std::string, double>> expected_metrics = {{"files_removed", 2}, {"bytes_freed", 150}};
  for (const auto& metric : expected_metrics) {
    EXPECT_NE(std::find(real.metrics.begin(), real.metrics.end(), metric), real.metrics.end()) << metric.first;
  }
}

TEST_F(CleanupTest, RecursiveDescendsAndRemovesEmptiedDirectoriesOnlyWhenAsked) {
  file("a/old.log", 24h * 10);
  file("a/b/old.log", 24h * 10);
  file("c/old.log", 24h * 10);
  file("c/fresh.log", 1h);
  for (const char* dir : {"a/b", "a", "c"}) set_mtime(root_ / dir, clock_.now() - 24h * 10);

  const auto files_only = cleanup({{"older_than", "7d"}, {"recursive", "true"}}, false);
  ASSERT_TRUE(files_only.ok) << files_only.message;
  EXPECT_EQ(files_only.details["file_count"], 3);
  EXPECT_TRUE(fs::is_directory(root_ / "a" / "b"));

  file("a/b/old.log", 24h * 10);
  for (const char* dir : {"a/b", "a"}) set_mtime(root_ / dir, clock_.now() - 24h * 10);
  const auto with_dirs = cleanup({{"older_than", "7d"}, {"recursive", "true"}, {"remove_empty_dirs", "true"}}, false);
  ASSERT_TRUE(with_dirs.ok) << with_dirs.message;
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"c"}));
  EXPECT_EQ(names_in(root_ / "c"), (std::set<std::string>{"fresh.log"}));
}

TEST_F(CleanupTest, NeverFollowsSymlinksOutOfTheRoot) {
  write_file(tmp_ / "outside" / "victim.log", "precious");
  set_mtime(tmp_ / "outside" / "victim.log", clock_.now() - 24h * 100);
  fs::create_symlink(tmp_ / "outside", root_ / "linked-dir");
  fs::create_symlink(tmp_ / "outside" / "victim.log", root_ / "linked.log");
  file("old.log", 24h * 10);

  const auto outcome = cleanup({{"older_than", "1d"}, {"recursive", "true"}}, false);
  ASSERT_TRUE(outcome.ok) << outcome.message;
  EXPECT_EQ(listed(outcome), (std::set<std::string>{(root_ / "old.log").string()}));
  EXPECT_EQ(outcome.details["skipped_symlinks"], 2);
  EXPECT_EQ(read_file(tmp_ / "outside" / "victim.log"), "precious");
  EXPECT_TRUE(fs::is_symlink(root_ / "linked-dir"));
  EXPECT_TRUE(fs::is_symlink(root_ / "linked.log"));
}

TEST_F(CleanupTest, RefusesDirectoriesOutsideTheRootsAndTouchesNothing) {
  write_file(tmp_ / "outside" / "old.log", "x");
  set_mtime(tmp_ / "outside" / "old.log", clock_.now() - 24h * 100);
  fs::create_symlink(tmp_ / "outside", root_ / "escape");
  for (const std::string& dir : {(tmp_ / "outside").string(), root_.string() + "/../outside",
                                 (root_ / "escape").string(), std::string("spool"), std::string("/")}) {
    const auto outcome = runner_.run(request("cleanup", {{"dir", dir}, {"older_than", "1d"}}));
    EXPECT_FALSE(outcome.ok) << dir;
    EXPECT_TRUE(outcome.refused) << dir;
    EXPECT_NE(outcome.message.find("parameter dir"), std::string::npos) << outcome.message;
  }
  EXPECT_TRUE(fs::exists(tmp_ / "outside" / "old.log"));
}

TEST_F(CleanupTest, RefusesBadAndUnknownParameters) {
  file("old.log", 24h * 10);
  const auto no_age = cleanup({}, false);
  EXPECT_TRUE(no_age.refused);
  EXPECT_NE(no_age.message.find("older_than: required"), std::string::npos) << no_age.message;
  EXPECT_TRUE(cleanup({{"older_than", "soon"}}, false).refused);
  EXPECT_TRUE(cleanup({{"older_than", "1d"}, {"pattern", "../*"}}, false).refused);
  const auto typo = cleanup({{"older_than", "1d"}, {"recursiv", "true"}}, false);
  EXPECT_TRUE(typo.refused);
  EXPECT_NE(typo.message.find("unknown parameter recursiv"), std::string::npos) << typo.message;
  EXPECT_TRUE(fs::exists(root_ / "old.log"));
}

}  // namespace
}  // namespace baton::worker::maintenance
