#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/maintenance/maintenance_test_support.hpp"

namespace baton::worker::maintenance {
namespace {

using namespace testing;
namespace fs = std::filesystem;

class RotateTest : public ::testing::Test {
 protected:
  RotateTest() : runner_(config()) { fs::create_directories(tmp_ / "logs"); }

  MaintenanceConfig config() {
    MaintenanceConfig c;
    c.allowed_roots = {(tmp_ / "logs").string()};
    return c;
  }

  MaintenanceOutcome rotate(std::map<std::string, std::string> params, bool dry_run = false) {
    params.emplace("path", log_.string());
    return runner_.run(request("rotate", std::move(params), dry_run));
  }

  TempDir tmp_;
  fs::path log_ = tmp_ / "logs" / "app.log";
  MaintenanceRunner runner_;
};

TEST_F(RotateTest, LeavesAFileAtOrBelowMaxSizeUnlessForced) {
  write_file(log_, std::string(1024, 'a'));
  const auto small = rotate({{"max_size", "1KB"}});
  ASSERT_TRUE(small.ok) << small.message;
  EXPECT_EQ(small.details["rotated"], false);
  EXPECT_EQ(names_in(tmp_ / "logs"), (std::set<std::string>{"app.log"}));

  const auto forced = rotate({{"max_size", "1KB"}, {"force", "true"}, {"compress", "false"}});
  ASSERT_TRUE(forced.ok) << forced.message;
  EXPECT_EQ(forced.details["rotated"], true);
  EXPECT_EQ(names_in(tmp_ / "logs"), (std::set<std::string>{"app.log.1"}));
  EXPECT_EQ(read_file(tmp_ / "logs" / "app.log.1"), std::string(1024, 'a'));
}

TEST_F(RotateTest, KeepsTheNewestNCompressedAndDropsTheOldest) {
  for (int generation = 1; generation <= 5; ++generation) {
    write_file(log_, "generation " + std::to_string(generation) + "\n");
    const auto outcome = rotate({{"max_size", "1"}, {"keep", "3"}});
    ASSERT_TRUE(outcome.ok) << outcome.message;
  }
  EXPECT_EQ(names_in(tmp_ / "logs"), (std::set<std::string>{"app.log.1.gz", "app.log.2.gz", "app.log.3.gz"}));
  EXPECT_EQ(gunzip(tmp_ / "logs" / "app.log.1.gz"), "generation 5\n");
  EXPECT_EQ(gunzip(tmp_ / "logs" / "app.log.2.gz"), "generation 4\n");
  EXPECT_EQ(gunzip(tmp_ / "logs" / "app.log.3.gz"), "generation 3\n");
}

TEST_F(RotateTest, ShiftsUncompressedAndCompressedRotationsTogether) {
  write_file(tmp_ / "logs" / "app.log.1", "plain previous\n");
  write_file(tmp_ / "logs" / "app.log.2.gz", "gz older");
  write_file(tmp_ / "logs" / "app.log.9", "far too old");
  write_file(tmp_ / "logs" / "app.log.old", "not a rotation");
  write_file(log_, "current\n");
  const auto outcome = rotate({{"max_size", "1"}, {"keep", "3"}, {"compress", "false"}});
  ASSERT_TRUE(outcome.ok) << outcome.message;
  EXPECT_EQ(names_in(tmp_ / "logs"),
            (std::set<std::string>{"app.log.1", "app.log.2", "app.log.3.gz", "app.log.old"}));
  EXPECT_EQ(read_file(tmp_ / "logs" / "app.log.1"), "current\n");
  EXPECT_EQ(read_file(tmp_ / "logs" / "app.log.2"), "plain previous\n");
}

TEST_F(RotateTest, CopyTruncateKeepsTheSameFileForAWriterThatHoldsItOpen) {
  write_file(log_, "before rotation\n");
  struct stat before {};
  ASSERT_EQ(::stat(log_.c_str(), &before), 0);
  std::ofstream writer(log_, std::ios::app);

  const auto outcome = rotate({{"max_size", "1"}, {"copytruncate", "true"}, {"compress", "false"}});
  ASSERT_TRUE(outcome.ok) << outcome.message;
  struct stat after {};
  ASSERT_EQ(::stat(log_.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(fs::file_size(log_), 0u);
  EXPECT_EQ(read_file(tmp_ / "logs" / "app.log.1"), "before rotation\n");
  writer << "after rotation\n" << std::flush;
  EXPECT_EQ(read_file(log_), "after rotation\n");
}

TEST_F(RotateTest, DryRunListsThePlanAndChangesNothing) {
  write_file(log_, "current\n");
  write_file(tmp_ / "logs" / "app.log.1.gz", "older");
  const auto outcome = rotate({{"max_size", "1"}, {"keep", "1"}}, true);
  ASSERT_TRUE(outcome.ok) << outcome.message;
  const auto& plan = outcome.details["plan"];
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0]["op"], "remove");
  EXPECT_EQ(plan[0]["path"], (tmp_ / "logs" / "app.log.1.gz").string());
  EXPECT_EQ(plan[1]["op"], "rename");
  EXPECT_EQ(plan[2]["op"], "compress");
  EXPECT_EQ(read_file(log_), "current\n");
  EXPECT_EQ(read_file(tmp_ / "logs" / "app.log.1.gz"), "older");
}

TEST_F(RotateTest, AFailedCompressionKeepsTheRotatedLog) {
  MaintenanceConfig c = config();
  c.gzip_program = (tmp_ / "no-such-gzip").string();
  MaintenanceRunner runner(c);
  write_file(log_, "must survive\n");
  const auto outcome = runner.run(request("rotate", {{"path", log_.string()}, {"max_size", "1"}}));
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.refused);
  EXPECT_NE(outcome.message.find("stopped at step 2"), std::string::npos) << outcome.message;
  EXPECT_EQ(read_file(tmp_ / "logs" / "app.log.1"), "must survive\n");
}

// A gzip stand-in that announces itself on one FIFO and waits on another, so
// the test holds a rotation in progress without sleeping.
TEST_F(RotateTest, RefusesASecondActionOnAFileThatIsStillBeingRotated) {
  const fs::path started = tmp_ / "started";
  const fs::path release = tmp_ / "release";
  ASSERT_EQ(::mkfifo(started.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(release.c_str(), 0600), 0);
  const fs::path slow_gzip = tmp_ / "slow-gzip";
  write_file(slow_gzip, "#!/bin/sh\necho go > '" + started.string() + "'\nread line < '" + release.string() +
                            "'\nexec gzip \"$@\"\n");
  fs::permissions(slow_gzip, fs::perms::owner_all);
  MaintenanceConfig c = config();
  c.gzip_program = slow_gzip.string();
  MaintenanceRunner runner(c);
  write_file(log_, "busy\n");

  MaintenanceOutcome first;
  std::thread rotating([&] { first = runner.run(request("rotate", {{"path", log_.string()}, {"max_size", "1"}})); });
  std::ifstream(started) >> std::ws;  // returns once the stand-in has started

  const auto whole_dir =
      runner.run(request("cleanup", {{"dir", (tmp_ / "logs" / ".." / "logs").string()}, {"older_than", "0s"}}));
  fs::create_directories(tmp_ / "logs" / "archive");
  const auto other_dir =
      runner.run(request("cleanup", {{"dir", (tmp_ / "logs" / "archive").string()}, {"older_than", "0s"}}));
  const auto again = runner.run(request("rotate", {{"path", log_.string()}, {"max_size", "1"}, {"force", "true"}}));
  std::ofstream(release) << "go\n";
  rotating.join();

  EXPECT_TRUE(again.refused);
  EXPECT_NE(again.message.find("still running on or around " + log_.string()), std::string::npos) << again.message;
  EXPECT_TRUE(whole_dir.refused) << "the directory holds the file being rotated: " << whole_dir.message;
  EXPECT_TRUE(other_dir.ok) << "an unrelated directory runs alongside: " << other_dir.message;
  ASSERT_TRUE(first.ok) << first.message;
  EXPECT_EQ(gunzip(tmp_ / "logs" / "app.log.1.gz"), "busy\n");
}

TEST_F(RotateTest, RefusesLogsOutsideTheRoots) {
  write_file(tmp_ / "elsewhere.log", "x");
  const auto outcome = runner_.run(request("rotate", {{"path", (tmp_ / "logs" / ".." / "elsewhere.log").string()}}));
  EXPECT_TRUE(outcome.refused);
  EXPECT_NE(outcome.message.find("outside the allowed roots"), std::string::npos) << outcome.message;
  EXPECT_EQ(names_in(tmp_.path()), (std::set<std::string>{"elsewhere.log", "logs"}));
}

}  // namespace
}  // namespace baton::worker::maintenance
