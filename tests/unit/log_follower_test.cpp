#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "worker/jobs/log_follower.hpp"

namespace baton::worker {
namespace {

namespace fs = std::filesystem;

class LogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("baton-follower-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "job.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void append(const std::string& text) {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out << text;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(LogFollowerTest, AMissingOrEmptyLogHasNoLines) {
  LogFollower follower(path_, 0);
  EXPECT_TRUE(follower.poll().empty());
  EXPECT_TRUE(follower.poll(true).empty());
  append("");
  EXPECT_TRUE(follower.poll(true).empty());
  EXPECT_EQ(read_last_lines(path_, 5), "");
}

TEST_F(LogFollowerTest, ALineSplitAcrossWritesComesOutWhole) {
  LogFollower follower(path_, 0);
  append("first\nsec");
  EXPECT_EQ(follower.poll(), std::vector<std::string>{"first"});
  EXPECT_TRUE(follower.poll().empty());  // nothing new
  append("ond\nthird\n");
  EXPECT_EQ(follower.poll(), (std::vector<std::string>{"second", "third"}));
  append("unfinished");
  EXPECT_TRUE(follower.poll().empty());
  EXPECT_EQ(follower.poll(true), std::vector<std::string>{"unfinished"});
}

TEST_F(LogFollowerTest, AtEndSkipsWhatWasAlreadyThere) {
  append("old line\n");
  LogFollower follower = LogFollower::at_end(path_);
  append("new line\n");
  EXPECT_EQ(follower.poll(), std::vector<std::string>{"new line"});
}

TEST_F(LogFollowerTest, OutputLargerThanOnePollIsReadOverSeveral) {
  // 1.5 MiB in lines of 100 bytes: more than one poll takes (1 MiB).
  const std::string line(99, 'x');
  std::string text;
  for (int i = 0; i < 15 * 1024 * 1024 / 1000; ++i) text += line + "\n";
  append(text);
  LogFollower follower(path_, 0);
  const auto first = follower.poll();
  EXPECT_GT(first.size(), 0u);
  EXPECT_LT(first.size(), text.size() / 100);
  const auto rest = follower.poll();
  EXPECT_EQ(first.size() + rest.size(), text.size() / 100);
  EXPECT_EQ(rest.back(), line);
}

TEST_F(LogFollowerTest, ALogThatShrankIsFollowedFromItsStart) {
  LogFollower follower(path_, 0);
  append("a long first line\n");
  EXPECT_EQ(follower.poll(), std::vector<std::string>{"a long first line"});
  std::ofstream(path_, std::ios::trunc) << "new\n";
  EXPECT_EQ(follower.poll(), std::vector<std::string>{"new"});
}

TEST_F(LogFollowerTest, ReadLastLinesKeepsTheTail) {
  append("one\ntwo\nthree\n");
  EXPECT_EQ(read_last_lines(path_, 2), "two\nthree");
  EXPECT_EQ(read_last_lines(path_, 10), "one\ntwo\nthree");
  EXPECT_EQ(read_last_lines(path_, 0), "");
  EXPECT_EQ(read_last_lines((dir_ / "absent.log").string(), 3), "");
}

TEST(ProgressLineTest, ParsesPercentAndMessage) {
  auto p = parse_progress("BATON_PROGRESS 42 copying shards ");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->percent, 42u);
  EXPECT_EQ(p->message, "copying shards");
  EXPECT_FALSE(parse_progress("BATON_PROGRESS 101"));
  EXPECT_FALSE(parse_progress("progress 50"));
}

}  // namespace
}  // namespace baton::worker
