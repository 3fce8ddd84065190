#include "worker/resources/gpu_probe.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/sys/process.hpp"

namespace baton::worker {
namespace {

using std::chrono::milliseconds;

const std::string kFixtures = BATON_SOURCE_DIR "/tests/unit/fixtures/nvidia-smi";

std::string fixture(const std::string& name) {
  std::ifstream in(kFixtures + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

GpuConfig config_with(GpuConfig::Mode mode, std::string nvidia_smi = "nvidia-smi") {
  GpuConfig config;
  config.mode = mode;
  config.nvidia_smi = std::move(nvidia_smi);
  config.query_timeout = milliseconds(5000);
  return config;
}

bool nvidia_smi_installed() {
  sys::ProcessOptions options;
  options.argv = {"nvidia-smi", "--help"};
  auto r = sys::run_process(options);
  return r.ok() || r.error().code != Errc::not_found;
}

TEST(GpuParseTest, OneGpu) {
  std::string error;
  auto gpus = parse_nvidia_smi_csv(fixture("one-gpu.csv"), &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].info.index(), 0u);
  EXPECT_EQ(gpus[0].info.uuid(), "GPU-1c0ffee0-8a1b-4c2d-9e7f-1a2b3c4d5e6f");
  EXPECT_EQ(gpus[0].info.name(), "NVIDIA GeForce RTX 3090");
  EXPECT_EQ(gpus[0].info.memory_total_mib(), 24576u);
  EXPECT_EQ(gpus[0].status.index(), 0u);
  EXPECT_EQ(gpus[0].status.memory_total_mib(), 24576u);
  EXPECT_EQ(gpus[0].status.memory_used_mib(), 1183u);
  EXPECT_DOUBLE_EQ(gpus[0].status.utilization_percent(), 7.0);
  EXPECT_DOUBLE_EQ(gpus[0].status.temperature_celsius(), 46.0);
}

TEST(GpuParseTest, TwoGpus) {
  std::string error;
  auto gpus = parse_nvidia_smi_csv(fixture("two-gpus.csv"), &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[1].info.index(), 1u);
  EXPECT_EQ(gpus[1].info.uuid(), "GPU-9a8b7c6d-5e4f-3a2b-1c0d-ffeeddccbbaa");
  EXPECT_EQ(gpus[1].status.memory_used_mib(), 39000u);
  EXPECT_DOUBLE_EQ(gpus[1].status.utilization_percent(), 100.0);
  EXPECT_DOUBLE_EQ(gpus[1].status.temperature_celsius(), 67.0);
}

TEST(GpuParseTest, UnavailableFieldsReadAsZero) {
  std::string error;
  auto gpus = parse_nvidia_smi_csv(fixture("not-available.csv"), &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].info.name(), "Tesla K80");
  EXPECT_EQ(gpus[0].status.memory_total_mib(), 11441u);
  EXPECT_DOUBLE_EQ(gpus[0].status.utilization_percent(), 0.0);
  EXPECT_DOUBLE_EQ(gpus[0].status.temperature_celsius(), 0.0);
  EXPECT_EQ(gpus[1].info.index(), 1u);
  EXPECT_EQ(gpus[1].info.uuid(), "");
  EXPECT_EQ(gpus[1].info.name(), "GRID T4-4Q");
  EXPECT_EQ(gpus[1].info.memory_total_mib(), 0u);
  EXPECT_EQ(gpus[1].status.memory_used_mib(), 0u);
}

TEST(GpuParseTest, JunkLinesAreSkippedAndReported) {
  std::string error;
  auto gpus = parse_nvidia_smi_csv(fixture("junk.csv"), &error);
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].info.index(), 0u);
  EXPECT_NE(error.find("line 1:"), std::string::npos) << error;
  EXPECT_NE(error.find("line 4: expected 7 fields, got 1"), std::string::npos) << error;
  EXPECT_NE(error.find("line 5: non-numeric field"), std::string::npos) << error;
  EXPECT_EQ(error.find("line 3"), std::string::npos) << error;
}

TEST(GpuParseTest, EmptyOutputIsNoGpusAndNoError) {
  std::string error = "stale";
  EXPECT_TRUE(parse_nvidia_smi_csv("", &error).empty());
  EXPECT_EQ(error, "");
  EXPECT_TRUE(parse_nvidia_smi_csv("\r\n\n", nullptr).empty());
}

TEST(GpuProbeTest, OffReportsNothing) {
  GpuProbe probe(config_with(GpuConfig::Mode::off, kFixtures + "/fake-nvidia-smi"));
  auto snapshot = probe.query();
  EXPECT_TRUE(snapshot.info.empty());
  EXPECT_TRUE(snapshot.status.empty());
  EXPECT_NE(snapshot.note, "");
}

TEST(GpuProbeTest, AutoWithoutNvidiaSmiIsQuietlyEmpty) {
  if (nvidia_smi_installed()) GTEST_SKIP() << "this host has nvidia-smi";
  GpuProbe probe(config_with(GpuConfig::Mode::autodetect));
  for (int i = 0; i < 2; ++i) {
    auto snapshot = probe.query();
    EXPECT_TRUE(snapshot.info.empty());
    EXPECT_EQ(snapshot.note, "no nvidia-smi: no GPUs");
  }
}

TEST(GpuProbeTest, OnWithoutNvidiaSmiSaysWhy) {
  if (nvidia_smi_installed()) GTEST_SKIP() << "this host has nvidia-smi";
  GpuProbe probe(config_with(GpuConfig::Mode::on));
  auto snapshot = probe.query();
  EXPECT_TRUE(snapshot.info.empty());
  EXPECT_NE(snapshot.note.find("nvidia-smi not found"), std::string::npos) << snapshot.note;
}

TEST(GpuProbeTest, ConfiguredPathThatDoesNotExistSaysWhy) {
  GpuProbe probe(config_with(GpuConfig::Mode::on, "/nonexistent/nvidia-smi"));
  auto snapshot = probe.query();
  EXPECT_TRUE(snapshot.info.empty());
  EXPECT_NE(snapshot.note.find("/nonexistent/nvidia-smi"), std::string::npos) << snapshot.note;
}

TEST(GpuProbeTest, FakeNvidiaSmiReportsTwoGpus) {
  for (auto mode : {GpuConfig::Mode::on, GpuConfig::Mode::autodetect}) {
    GpuProbe probe(config_with(mode, kFixtures + "/fake-nvidia-smi"));
    auto snapshot = probe.query();
    EXPECT_EQ(snapshot.note, "");
    ASSERT_EQ(snapshot.info.size(), 2u);
    ASSERT_EQ(snapshot.status.size(), 2u);
    EXPECT_EQ(snapshot.info[0].name(), "NVIDIA A100-SXM4-40GB");
    EXPECT_EQ(snapshot.info[1].memory_total_mib(), 40960u);
    EXPECT_EQ(snapshot.status[1].index(), 1u);
    EXPECT_EQ(snapshot.status[1].memory_used_mib(), 39000u);
  }
}

TEST(GpuProbeTest, FailingNvidiaSmiExplainsInTheNote) {
  GpuProbe probe(config_with(GpuConfig::Mode::on, kFixtures + "/fake-nvidia-smi-no-driver"));
  auto snapshot = probe.query();
  EXPECT_TRUE(snapshot.info.empty());
  EXPECT_NE(snapshot.note.find("exit 9"), std::string::npos) << snapshot.note;
  EXPECT_NE(snapshot.note.find("couldn't communicate with the NVIDIA driver"), std::string::npos) << snapshot.note;
}

TEST(GpuProbeTest, HungNvidiaSmiTimesOutPromptly) {
  auto config = config_with(GpuConfig::Mode::on, kFixtures + "/fake-nvidia-smi-hang");
  config.query_timeout = milliseconds(200);
  GpuProbe probe(config);
  auto started = std::chrono::steady_clock::now();
  auto snapshot = probe.query();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(snapshot.info.empty());
  EXPECT_NE(snapshot.note.find("timed out after 200 ms"), std::string::npos) << snapshot.note;
  EXPECT_LT(took, milliseconds(2000));
}

}  // namespace
}  // namespace baton::worker
