#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "check_test_support.hpp"
#include "common/core/clock.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::find_perf;
using testing::request;

constexpr int64_t kModified = 1'700'000'000;  // unix seconds

void set_mtime(const std::string& path, int64_t unix_seconds) {
  timespec times[2] = {{unix_seconds, 0}, {unix_seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

class FileCheckTest : public ::testing::Test {
 protected:
  FileCheckTest() : clock_(TimePoint{} + seconds(kModified)), runner_(ChecksConfig{}, CheckEnvironment{&clock_}) {}
  testing::TempDir dir_;
  ManualClock clock_;
  CheckRunner runner_;
};

TEST_F(FileCheckTest, AgeAtTheBoundaryWithUnits) {
  std::string path = dir_.write("backup.tar", "data");
  set_mtime(path, kModified);
  clock_.advance(hours(24 * 7));
  auto at = runner_.run(request("file", {{"path", path}, {"age_warning", "7d"}, {"age_critical", "14d"}}));
  EXPECT_EQ(at.state, CheckState::ok) << at.output;
  EXPECT_DOUBLE_EQ(find_perf(at, "age")->value, 7 * 86400.0);
  EXPECT_EQ(find_perf(at, "age")->warn, "604800");

  clock_.advance(seconds(1));
  auto over = runner_.run(request("file", {{"path", path}, {"age_warning", "7d"}, {"age_critical", "14d"}}));
  EXPECT_EQ(over.state, CheckState::warning);
  EXPECT_NE(over.output.find("(warning: 7d)"), std::string::npos) << over.output;

  clock_.advance(hours(24 * 7));
  EXPECT_EQ(runner_.run(request("file", {{"path", path}, {"age_critical", "14d"}})).state, CheckState::critical);
}

TEST_F(FileCheckTest, SizeAtTheBoundaryWithUnits) {
  std::string path = dir_.write("app.log", std::string(1024, 'a'));
  EXPECT_EQ(runner_.run(request("file", {{"path", path}, {"size_warning", "1KB"}})).state, CheckState::ok);
  EXPECT_EQ(runner_.run(request("file", {{"path", path}, {"size_warning", "1023"}})).state, CheckState::warning);
  EXPECT_EQ(runner_.run(request("file", {{"path", path}, {"size_critical", "1000"}})).state, CheckState::critical);
  auto outcome = runner_.run(request("file", {{"path", path}, {"size_critical", "100MB"}}));
  EXPECT_EQ(outcome.state, CheckState::ok);
  EXPECT_EQ(find_perf(outcome, "size")->crit, "104857600");
  EXPECT_EQ(find_perf(outcome, "size")->uom, "B");
}

TEST_F(FileCheckTest, GlobPicksTheNewestMatch) {
  set_mtime(dir_.write("db-1.bak", "1"), kModified - 3 * 86400);
  set_mtime(dir_.write("db-2.bak", "22"), kModified - 1 * 86400);
  set_mtime(dir_.write("db-3.bak", "333"), kModified - 2 * 86400);
  set_mtime(dir_.write("other.txt", "x"), kModified);
  auto outcome = runner_.run(request("file", {{"path", dir_.file("db-*.bak")}, {"age_warning", "1d"}}));
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_NE(outcome.output.find("db-2.bak (newest of 3 matching"), std::string::npos) << outcome.output;
  EXPECT_DOUBLE_EQ(find_perf(outcome, "size")->value, 2);
  EXPECT_EQ(runner_.run(request("file", {{"path", dir_.file("db-*.bak")}, {"age_warning", "23h"}})).state,
            CheckState::warning);
}

TEST_F(FileCheckTest, MissingIsCriticalUnlessConfigured) {
  auto missing = runner_.run(request("file", {{"path", dir_.file("nope")}}));
  EXPECT_EQ(missing.state, CheckState::critical);
  EXPECT_NE(missing.output.find("does not exist"), std::string::npos);
  auto no_match = runner_.run(request("file", {{"path", dir_.file("*.bak")}, {"missing_state", "warning"}}));
  EXPECT_EQ(no_match.state, CheckState::warning);
  EXPECT_NE(no_match.output.find("no file matches"), std::string::npos);
}

TEST_F(FileCheckTest, BadUnitNamesTheParam) {
  auto outcome = runner_.run(request("file", {{"path", dir_.file("x")}, {"age_warning", "7 fortnights"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("param 'age_warning'"), std::string::npos) << outcome.output;
}

}  // namespace
}  // namespace baton::worker::checks
