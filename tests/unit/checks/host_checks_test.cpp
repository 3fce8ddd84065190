#include <gtest/gtest.h>

#include "check_test_support.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using testing::find_perf;
using testing::kFixtures;
using testing::request;

// Fixture /proc: memory exactly 80% used, load 2/4/8 on 4 cores.
class FixtureHostTest : public ::testing::Test {
 protected:
  CheckRunner runner_{ChecksConfig{}, CheckEnvironment{nullptr, kFixtures + "/proc"}};
};

TEST_F(FixtureHostTest, MemoryThresholdsAtTheBoundary) {
  EXPECT_EQ(runner_.run(request("memory", {{"warning", "80"}, {"critical", "90"}})).state, CheckState::ok);
  EXPECT_EQ(runner_.run(request("memory", {{"warning", "79.99"}, {"critical", "90"}})).state, CheckState::warning);
  EXPECT_EQ(runner_.run(request("memory", {{"warning", "70"}, {"critical", "79.99"}})).state, CheckState::critical);
  EXPECT_EQ(runner_.run(request("memory", {{"critical", "@80:"}})).state, CheckState::critical);
}

TEST_F(FixtureHostTest, MemoryReportsPercentAndBytes) {
  auto outcome = runner_.run(request("memory"));
  EXPECT_EQ(outcome.state, CheckState::ok);  // defaults 90/95
  EXPECT_EQ(outcome.output, "memory 80% used (781.3 MiB of 976.6 MiB)");
  const PerfDatum* used = find_perf(outcome, "memory_used");
  ASSERT_NE(used, nullptr);
  EXPECT_DOUBLE_EQ(used->value, 80.0);
  EXPECT_EQ(format_perfdatum(*used), "memory_used=80%;90;95;0;100");
  const PerfDatum* bytes = find_perf(outcome, "memory_used_bytes");
  ASSERT_NE(bytes, nullptr);
  EXPECT_DOUBLE_EQ(bytes->value, 800000.0 * 1024);
}

TEST_F(FixtureHostTest, ProblemLeadsTheOutput) {
  auto outcome = runner_.run(request("memory", {{"warning", "50"}, {"critical", "75"}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_EQ(outcome.output.rfind("memory_used 80% (critical: 75) - memory 80% used", 0), 0u) << outcome.output;
}

TEST_F(FixtureHostTest, LoadThresholdsAtTheBoundary) {
  auto at = runner_.run(request("cpu", {{"window", "0"}, {"load1_warning", "2"}, {"load15_critical", "8"}}));
  EXPECT_EQ(at.state, CheckState::ok) << at.output;
  auto over = runner_.run(request("cpu", {{"window", "0"}, {"load1_warning", "1.99"}}));
  EXPECT_EQ(over.state, CheckState::warning);
  auto crit = runner_.run(request("cpu", {{"window", "0"}, {"load5_critical", "3.99"}}));
  EXPECT_EQ(crit.state, CheckState::critical);
  ASSERT_NE(find_perf(at, "load15"), nullptr);
  EXPECT_DOUBLE_EQ(find_perf(at, "load15")->value, 8.0);
  EXPECT_EQ(find_perf(at, "cpu_busy"), nullptr) << "window=0 skips the busy sample";
}

TEST_F(FixtureHostTest, LoadPerCoreDividesByCpuLines) {
  auto outcome = runner_.run(request("cpu", {{"window", "0"}, {"per_core", "true"}, {"load15_critical", "2"}}));
  EXPECT_EQ(outcome.state, CheckState::ok);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "load1")->value, 0.5);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "load15")->value, 2.0);
  auto over = runner_.run(request("cpu", {{"window", "0"}, {"per_core", "true"}, {"load15_critical", "1.9"}}));
  EXPECT_EQ(over.state, CheckState::critical);
}

TEST_F(FixtureHostTest, CpuSampleWithoutTimePassingIsUnknown) {
  // A static fixture /proc/stat shows no CPU time passing.
  auto outcome = runner_.run(request("cpu", {{"window", "10ms"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("no CPU time passed"), std::string::npos) << outcome.output;
}

TEST(HostCheckTest, CpuWindowLongerThanTimeoutIsRefused) {
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(request("cpu", {{"window", "5s"}}, milliseconds(1000)));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("param 'window'"), std::string::npos) << outcome.output;
}

TEST(HostCheckTest, CpuBusyFromRealProcStat) {
  CheckRunner runner{ChecksConfig{}};
  // Thresholds that alert on any percentage make the state independent of load.
  auto outcome = runner.run(request("cpu", {{"window", "50ms"}, {"warning", ""}, {"critical", "@0:100"}}));
  EXPECT_EQ(outcome.state, CheckState::critical) << outcome.output;
  const PerfDatum* busy = find_perf(outcome, "cpu_busy");
  ASSERT_NE(busy, nullptr);
  EXPECT_GE(busy->value, 0.0);
  EXPECT_LE(busy->value, 100.0);
  EXPECT_NE(find_perf(outcome, "load5"), nullptr);
}

TEST(HostCheckTest, DiskOnARealFilesystem) {
  testing::TempDir dir;
  CheckRunner runner{ChecksConfig{}};
  auto never = runner.run(request("disk", {{"path", dir.path().string()},
                                            {"warning", "100"},
                                            {"critical", "100"},
                                            {"inodes_warning", "100"},
                                            {"inodes_critical", "100"}}));
  EXPECT_EQ(never.state, CheckState::ok) << never.output;
  EXPECT_EQ(never.output.rfind(dir.path().string() + " ", 0), 0u) << never.output;
  const PerfDatum* used = find_perf(never, "disk_used");
  ASSERT_NE(used, nullptr);
  EXPECT_EQ(used->uom, "%");
  EXPECT_EQ(used->warn, "100");
  EXPECT_NE(find_perf(never, "disk_used_bytes"), nullptr);

  auto always = runner.run(request("disk", {{"path", dir.path().string()}, {"critical", "@0:100"}}));
  EXPECT_EQ(always.state, CheckState::critical);
  EXPECT_NE(always.output.find("disk_used"), std::string::npos);
}

TEST(HostCheckTest, DiskDefaultsAreEightyAndNinety) {
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(request("disk"));
  const PerfDatum* used = find_perf(outcome, "disk_used");
  ASSERT_NE(used, nullptr) << outcome.output;
  EXPECT_EQ(used->warn, "80");
  EXPECT_EQ(used->crit, "90");
}

TEST(HostCheckTest, DiskPathThatDoesNotExistIsUnknown) {
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(request("disk", {{"path", "/nonexistent/baton/path"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("/nonexistent/baton/path"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
