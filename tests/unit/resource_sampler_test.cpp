#include "worker/resources/resource_sampler.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace baton::worker {
namespace {

const std::string kProcFixtures = BATON_SOURCE_DIR "/tests/unit/fixtures/proc";

std::string fixture(const std::string& name) {
  std::ifstream in(kProcFixtures + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ResourceParseTest, ProcStatSumsTheAggregateLine) {
  auto cpu = parse_proc_stat(fixture("stat"));
  ASSERT_TRUE(cpu);
  // user..steal; guest columns are already inside user.
  EXPECT_EQ(cpu->total, 60377929u);
  // Everything except idle and iowait.
  EXPECT_EQ(cpu->busy, 13532763u);
}

TEST(ResourceParseTest, ProcStatAcceptsOldKernelsWithFourColumns) {
  auto cpu = parse_proc_stat("cpu  100 20 30 850\ncpu0 100 20 30 850\n");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->total, 1000u);
  EXPECT_EQ(cpu->busy, 150u);
}

TEST(ResourceParseTest, ProcStatFindsTheCpuLineAnywhere) {
  auto cpu = parse_proc_stat("intr 1 2 3\ncpu  1 0 1 8 0 0 0 0 0 0\n");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->total, 10u);
}

TEST(ResourceParseTest, ProcStatRejectsJunk) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\n"));
  EXPECT_FALSE(parse_proc_stat("cpu  1 2 x 4\n"));
  EXPECT_FALSE(parse_proc_stat("cpu  1 2\n"));
}

TEST(ResourceParseTest, MeminfoInBytes) {
  auto mem = parse_meminfo(fixture("meminfo"));
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->first, 16318480ull * 1024);
  EXPECT_EQ(mem->second, 9418396ull * 1024);
}

TEST(ResourceParseTest, MeminfoWithoutMemAvailableFallsBackToFreePlusCache) {
  auto mem = parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n");
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->first, 1000u * 1024);
  EXPECT_EQ(mem->second, 420u * 1024);
}

TEST(ResourceParseTest, MeminfoRejectsJunk) {
  EXPECT_FALSE(parse_meminfo(""));
  EXPECT_FALSE(parse_meminfo("MemFree: 100 kB\n"));
  EXPECT_FALSE(parse_meminfo("MemTotal: lots\nMemAvailable: 1 kB\n"));
}

TEST(ResourceParseTest, Loadavg) {
  auto loads = parse_loadavg(fixture("loadavg"));
  ASSERT_TRUE(loads);
  EXPECT_DOUBLE_EQ((*loads)[0], 0.52);
  EXPECT_DOUBLE_EQ((*loads)[1], 0.58);
  EXPECT_DOUBLE_EQ((*loads)[2], 1.59);
}

TEST(ResourceParseTest, LoadavgRejectsJunk) {
  EXPECT_FALSE(parse_loadavg(""));
  EXPECT_FALSE(parse_loadavg("0.5 0.6\n"));
  EXPECT_FALSE(parse_loadavg("0.5 abc 0.7 1/2 3\n"));
}

class ResourceSamplerFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/baton-proc-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    for (const char* name : {"stat", "meminfo", "loadavg"}) {
      std::filesystem::copy_file(kProcFixtures + "/" + name, dir_ / name);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_stat(const std::string& text) { std::ofstream(dir_ / "stat", std::ios::trunc) << text; }

  std::filesystem::path dir_;
};

TEST_F(ResourceSamplerFixtureTest, FirstSampleIsSinceBootThenDeltas) {
  ResourceSampler sampler({}, dir_.string());
  auto first = sampler.sample();
  EXPECT_NEAR(first.cpu_percent(), 100.0 * 13532763 / 60377929, 1e-9);
  EXPECT_EQ(first.memory_total_bytes(), 16318480ull * 1024);
  EXPECT_EQ(first.memory_available_bytes(), 9418396ull * 1024);
  EXPECT_DOUBLE_EQ(first.load15(), 1.59);
  EXPECT_EQ(first.disks_size(), 0);

  // +300 busy (user), +100 idle, +100 iowait: 60% busy over the interval.
  write_stat("cpu  10132453 290696 3084719 46828583 16783 0 25195 0 175628 0\n");
  EXPECT_NEAR(sampler.sample().cpu_percent(), 60.0, 1e-9);

  // No progress at all (a coarse clock between two quick calls) is 0, not NaN.
  EXPECT_EQ(sampler.sample().cpu_percent(), 0.0);
}

TEST_F(ResourceSamplerFixtureTest, UnreadableSourcesAreSkippedNotFatal) {
  std::filesystem::remove(dir_ / "meminfo");
  ResourceSampler sampler({"/nonexistent/baton-disk", "/"}, dir_.string());
  for (int i = 0; i < 2; ++i) {
    auto r = sampler.sample();
    EXPECT_EQ(r.memory_total_bytes(), 0u);
    EXPECT_DOUBLE_EQ(r.load1(), 0.52);
    ASSERT_EQ(r.disks_size(), 1);
    EXPECT_EQ(r.disks(0).path(), "/");
  }
}

TEST(ResourceSamplerTest, RealProcGivesSaneValues) {
  ResourceSampler sampler({"/"});
  for (int i = 0; i < 2; ++i) {
    auto r = sampler.sample();
    EXPECT_GE(r.cpu_percent(), 0.0);
    EXPECT_LE(r.cpu_percent(), 100.0);
    EXPECT_GT(r.memory_available_bytes(), 0u);
    EXPECT_GT(r.memory_total_bytes(), r.memory_available_bytes());
    EXPECT_GE(r.load1(), 0.0);
    ASSERT_EQ(r.disks_size(), 1);
    const auto& root = r.disks(0);
    EXPECT_EQ(root.path(), "/");
    EXPECT_GT(root.total_bytes(), 0u);
    EXPECT_GT(root.total_bytes(), root.used_bytes());
    EXPECT_GE(root.inodes_total(), root.inodes_used());
  }
}

}  // namespace
}  // namespace baton::worker
