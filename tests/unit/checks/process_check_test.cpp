#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "check_test_support.hpp"

namespace baton::worker::checks {
namespace {

using testing::find_perf;
using testing::request;

// A real child under a name no other process on the host has: a copy of
// sleep, so /proc/<pid>/comm is that name.
class ProcessCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    name_ = "bchk" + std::to_string(100000 + random() % 900000);
    program_ = dir_.file(name_);
    std::filesystem::copy_file("/bin/sleep", program_);
    std::filesystem::permissions(program_, std::filesystem::perms::owner_all);
    pid_ = spawn({program_, "3600"});
    ASSERT_GT(pid_, 0);
    // posix_spawn returns once the child's exec has replaced its memory, a
    // moment before the kernel records where its arguments are: until then
    // /proc/<pid>/cmdline reads empty.
    ASSERT_TRUE(arguments_visible("3600")) << "/proc/" << pid_ << "/cmdline never showed them";
  }

  bool arguments_visible(const std::string& arg) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in("/proc/" + std::to_string(pid_) + "/cmdline");
      const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (cmdline.find(arg) != std::string::npos) return true;
      std::this_thread::yield();
    }
    return false;
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t spawn(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
    return pid;
  }

  // Blocks until the child has exited but leaves it unreaped (a zombie).
  void kill_leaving_zombie() {
    ::kill(pid_, SIGKILL);
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
  }

  testing::TempDir dir_;
  std::string name_;
  std::string program_;
  pid_t pid_ = -1;
  CheckRunner runner_{ChecksConfig{}};
};

TEST_F(ProcessCheckTest, RunningProcessByNameIsOk) {
  auto outcome = runner_.run(request("process", {{"name", name_}}));
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_NE(outcome.output.find("1 process(es) matching '" + name_ + "' (pid " + std::to_string(pid_) + ")"),
            std::string::npos)
      << outcome.output;
  ASSERT_NE(find_perf(outcome, "rss"), nullptr);
  EXPECT_GT(find_perf(outcome, "rss")->value, 0.0);
}

TEST_F(ProcessCheckTest, CountRangeAtTheBoundary) {
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}, {"count_critical", "1:1"}})).state, CheckState::ok);
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}, {"count_critical", "2:"}})).state, CheckState::critical);
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}, {"count_warning", "@1"}})).state, CheckState::warning);
}

TEST_F(ProcessCheckTest, RssThresholdsTakeByteUnits) {
  auto over = runner_.run(request("process", {{"name", name_}, {"rss_critical", "1KB"}}));
  EXPECT_EQ(over.state, CheckState::critical);
  EXPECT_NE(over.output.find("(critical: 1KB)"), std::string::npos) << over.output;
  EXPECT_EQ(find_perf(over, "rss")->crit, "1024");
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}, {"rss_warning", "1GB"}})).state, CheckState::ok);
}

TEST_F(ProcessCheckTest, ArgsContainsNarrowsTheMatch) {
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}, {"args_contains", "3600"}})).state, CheckState::ok);
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}, {"args_contains", "7200"}})).state,
            CheckState::critical);
}

TEST_F(ProcessCheckTest, NotRunningIsCritical) {
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  auto outcome = runner_.run(request("process", {{"name", name_}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("processes 0 (critical: 1:)"), std::string::npos) << outcome.output;
}

TEST_F(ProcessCheckTest, ZombieDoesNotCountAsRunning) {
  kill_leaving_zombie();
  EXPECT_EQ(runner_.run(request("process", {{"name", name_}})).state, CheckState::critical);
}

TEST_F(ProcessCheckTest, Pidfile) {
  std::string pidfile = dir_.write("svc.pid", std::to_string(pid_) + "\n");
  EXPECT_EQ(runner_.run(request("process", {{"pidfile", pidfile}})).state, CheckState::ok);
  EXPECT_EQ(runner_.run(request("process", {{"pidfile", pidfile}, {"name", name_}})).state, CheckState::ok);
  // A reused pid running something else is not the service.
  EXPECT_EQ(runner_.run(request("process", {{"pidfile", pidfile}, {"name", "not-" + name_}})).state,
            CheckState::critical);

  auto missing = runner_.run(request("process", {{"pidfile", dir_.file("gone.pid")}}));
  EXPECT_EQ(missing.state, CheckState::critical);
  EXPECT_NE(missing.output.find("gone.pid is missing"), std::string::npos) << missing.output;

  std::string garbage = dir_.write("bad.pid", "twelve\n");
  EXPECT_EQ(runner_.run(request("process", {{"pidfile", garbage}})).state, CheckState::unknown);

  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  EXPECT_EQ(runner_.run(request("process", {{"pidfile", pidfile}})).state, CheckState::critical);
}

TEST_F(ProcessCheckTest, NeedsSomethingToMatch) {
  auto outcome = runner_.run(request("process"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("param 'name'"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
