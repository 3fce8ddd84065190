#include <gtest/gtest.h>

#include "check_test_support.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using testing::find_perf;
using testing::kFixtures;
using testing::request;

const std::string kSharedFakes = BATON_SOURCE_DIR "/tests/unit/fixtures/nvidia-smi";

CheckRunner runner_with(const std::string& nvidia_smi) {
  ChecksConfig config;
  config.nvidia_smi = nvidia_smi;
  return CheckRunner(config);
}

TEST(GpuCheckTest, TwoGpusWithPerfdataPerGpu) {
  auto runner = runner_with(kSharedFakes + "/fake-nvidia-smi");
  auto outcome = runner.run(request("gpu"));
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_NE(outcome.output.find("2 GPU(s)"), std::string::npos) << outcome.output;
  ASSERT_NE(find_perf(outcome, "gpu1_util"), nullptr);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "gpu1_util")->value, 100.0);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "gpu0_temp")->value, 41.0);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "gpu0_mem")->value, 2.5);  // 1024 of 40960 MiB
  EXPECT_EQ(find_perf(outcome, "gpu0_temp")->warn, "85");
}

TEST(GpuCheckTest, ThresholdsAtTheBoundary) {
  auto runner = runner_with(kFixtures + "/nvidia-smi/fake-nvidia-smi-hot");
  // 90 C, 75% memory, 50% utilisation.
  EXPECT_EQ(runner.run(request("gpu", {{"temp_warning", "90"}, {"temp_critical", "95"}})).state, CheckState::ok);
  EXPECT_EQ(runner.run(request("gpu")).state, CheckState::warning);  // default warning 85
  EXPECT_EQ(runner.run(request("gpu", {{"temp_critical", "89"}})).state, CheckState::critical);
  EXPECT_EQ(runner.run(request("gpu", {{"temp_warning", ""}, {"mem_warning", "75"}})).state, CheckState::ok);
  EXPECT_EQ(runner.run(request("gpu", {{"temp_warning", ""}, {"mem_critical", "74.9"}})).state, CheckState::critical);
  auto util = runner.run(request("gpu", {{"temp_warning", ""}, {"util_warning", "49"}}));
  EXPECT_EQ(util.state, CheckState::warning);
  EXPECT_NE(util.output.find("gpu0_util 50% (warning: 49)"), std::string::npos) << util.output;
}

TEST(GpuCheckTest, NoNvidiaSmiMeansNoGpuAndIsOk) {
  auto runner = runner_with("/nonexistent/nvidia-smi");
  auto outcome = runner.run(request("gpu"));
  EXPECT_EQ(outcome.state, CheckState::ok);
  EXPECT_NE(outcome.output.find("no GPU present"), std::string::npos) << outcome.output;
  EXPECT_TRUE(outcome.perfdata.empty());
}

TEST(GpuCheckTest, EmptyListMeansNoGpuAndAbsentStateIsConfigurable) {
  auto runner = runner_with(kFixtures + "/nvidia-smi/fake-nvidia-smi-none");
  auto outcome = runner.run(request("gpu"));
  EXPECT_EQ(outcome.state, CheckState::ok);
  EXPECT_NE(outcome.output.find("no GPU present"), std::string::npos);
  EXPECT_EQ(runner.run(request("gpu", {{"absent", "critical"}})).state, CheckState::critical);
}

TEST(GpuCheckTest, DriverFailureIsUnknownWithTheReason) {
  auto runner = runner_with(kSharedFakes + "/fake-nvidia-smi-no-driver");
  auto outcome = runner.run(request("gpu"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("couldn't communicate with the NVIDIA driver"), std::string::npos) << outcome.output;
}

TEST(GpuCheckTest, HungNvidiaSmiIsUnknownAtTheTimeout) {
  auto runner = runner_with(kSharedFakes + "/fake-nvidia-smi-hang");
  auto outcome = runner.run(request("gpu", {}, milliseconds(200)));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("timed out after 200 ms"), std::string::npos) << outcome.output;
}

}  // namespace
}  // namespace baton::worker::checks
