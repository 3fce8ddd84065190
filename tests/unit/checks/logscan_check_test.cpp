#include <filesystem>

#include <gtest/gtest.h>

#include "check_test_support.hpp"

namespace baton::worker::checks {
namespace {

using testing::find_perf;
using testing::request;

class LogscanCheckTest : public ::testing::Test {
 protected:
  LogscanCheckTest() : runner_(config()) {}
  ChecksConfig config() const {
    ChecksConfig c;
    c.state_dir = dir_.file("state");
    return c;
  }
  CheckOutcome scan(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> params{{"path", log_}, {"pattern", "ERROR (\\w+)"}};
    for (auto& [k, v] : extra) params[k] = v;
    return runner_.run(request("logscan", params));
  }
  double matches(const CheckOutcome& outcome) {
    const PerfDatum* datum = find_perf(outcome, "matches");
    return datum ? datum->value : -1;
  }

  testing::TempDir dir_;
  std::string log_ = dir_.write("app.log", "ERROR old\nINFO started\n");
  CheckRunner runner_;
};

TEST_F(LogscanCheckTest, FirstRunStartsAtTheEndThenCountsOnlyNewLines) {
  auto first = scan();
  EXPECT_EQ(first.state, CheckState::ok) << first.output;
  EXPECT_EQ(matches(first), 0);
  EXPECT_NE(first.output.find("first scan"), std::string::npos);

  dir_.append("app.log", "ERROR disk full\nINFO fine\nERROR timeout\nERROR disk again\n");
  auto second = scan();
  EXPECT_EQ(second.state, CheckState::warning) << second.output;
  EXPECT_EQ(matches(second), 3);
  EXPECT_DOUBLE_EQ(find_perf(second, "lines")->value, 4);
  EXPECT_NE(second.output.find("3 of 4 new line(s)"), std::string::npos) << second.output;
  // Grouped by the first capture group, most frequent first.
  EXPECT_NE(second.output.find("\n2x disk\n1x timeout"), std::string::npos) << second.output;

  auto third = scan();
  EXPECT_EQ(third.state, CheckState::ok);
  EXPECT_EQ(matches(third), 0);
}

TEST_F(LogscanCheckTest, InitialStartCountsExistingLines) {
  auto outcome = scan({{"initial", "start"}});
  EXPECT_EQ(matches(outcome), 1);
  EXPECT_NE(outcome.output.find("1x old"), std::string::npos) << outcome.output;
}

TEST_F(LogscanCheckTest, GroupsByWholeMatchWithoutACaptureGroup) {
  auto outcome = scan({{"initial", "start"}, {"pattern", "ERROR|INFO"}});
  EXPECT_EQ(matches(outcome), 2);
  EXPECT_NE(outcome.output.find("1x ERROR"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("1x INFO"), std::string::npos) << outcome.output;
}

TEST_F(LogscanCheckTest, ThresholdsOnTheCountAtTheBoundary) {
  scan();
  dir_.append("app.log", "ERROR a\nERROR b\nERROR c\n");
  EXPECT_EQ(scan({{"warning", "3"}, {"critical", "5"}}).state, CheckState::ok);
  dir_.append("app.log", "ERROR a\nERROR b\nERROR c\n");
  EXPECT_EQ(scan({{"critical", "2"}}).state, CheckState::critical);
}

TEST_F(LogscanCheckTest, IncompleteLastLineWaitsForItsNewline) {
  scan();
  dir_.append("app.log", "ERROR whole\nERROR half");
  EXPECT_EQ(matches(scan()), 1);
  dir_.append("app.log", "way done\n");
  auto outcome = scan();
  EXPECT_EQ(matches(outcome), 1);
  EXPECT_NE(outcome.output.find("1x halfway"), std::string::npos) << outcome.output;
}

TEST_F(LogscanCheckTest, TruncatedFileIsReadFromItsStart) {
  scan({{"initial", "start"}});
  dir_.write("app.log", "ERROR fresh\n");
  auto outcome = scan();
  EXPECT_EQ(matches(outcome), 1);
  EXPECT_NE(outcome.output.find("truncated"), std::string::npos) << outcome.output;
}

TEST_F(LogscanCheckTest, RotationFinishesTheOldFileThenReadsTheNewOne) {
  scan();
  dir_.append("app.log", "ERROR before_rotation\n");
  std::filesystem::rename(log_, log_ + ".1");
  dir_.write("app.log", "ERROR after1\nINFO x\nERROR after2\n");
  auto outcome = scan();
  EXPECT_EQ(matches(outcome), 3) << outcome.output;
  EXPECT_NE(outcome.output.find("before_rotation"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("rotated"), std::string::npos) << outcome.output;
  EXPECT_EQ(matches(scan()), 0);
}

TEST_F(LogscanCheckTest, ReplacedFileWithoutRotatedCopyIsReadFromItsStart) {
  scan();
  // Moved aside rather than deleted, so the new file cannot reuse the inode.
  std::filesystem::rename(log_, dir_.file("archived.log"));
  dir_.write("app.log", "ERROR new\n");
  auto outcome = scan();
  EXPECT_EQ(matches(outcome), 1);
  EXPECT_NE(outcome.output.find("replaced"), std::string::npos) << outcome.output;
}

TEST_F(LogscanCheckTest, EachPatternKeepsItsOwnPosition) {
  scan();
  scan({{"pattern", "INFO"}});
  dir_.append("app.log", "ERROR one\nINFO two\n");
  EXPECT_EQ(matches(scan()), 1);
  EXPECT_EQ(matches(scan({{"pattern", "INFO"}})), 1);
  EXPECT_EQ(matches(scan()), 0);
}

TEST_F(LogscanCheckTest, PositionSurvivesANewRunner) {
  scan();
  dir_.append("app.log", "ERROR persisted\n");
  CheckRunner restarted(config());
  auto outcome = restarted.run(request("logscan", {{"path", log_}, {"pattern", "ERROR (\\w+)"}}));
  EXPECT_EQ(matches(outcome), 1);
}

TEST_F(LogscanCheckTest, ProblemsAreUnknown) {
  auto bad_regex = scan({{"pattern", "ERROR ("}});
  EXPECT_EQ(bad_regex.state, CheckState::unknown);
  EXPECT_NE(bad_regex.output.find("param 'pattern'"), std::string::npos);
  auto missing = runner_.run(request("logscan", {{"path", dir_.file("nope.log")}, {"pattern", "x"}}));
  EXPECT_EQ(missing.state, CheckState::unknown);
  EXPECT_NE(missing.output.find("nope.log"), std::string::npos);

  ChecksConfig no_state;
  no_state.state_dir = "";
  CheckRunner runner(no_state);
  auto outcome = runner.run(request("logscan", {{"path", log_}, {"pattern", "x"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("state_dir"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
