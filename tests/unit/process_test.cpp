#include "common/sys/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace baton::sys {
namespace {

using std::chrono::milliseconds;

ProcessResult run_ok(ProcessOptions options) {
  auto result = run_process(options);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : ProcessResult{};
}

ProcessOptions sh(const std::string& script) {
  ProcessOptions options;
  options.argv = {"sh", "-c", script};
  return options;
}

// A reparented grandchild may linger as a zombie if PID 1 does not reap;
// a zombie no longer runs, so it counts as gone.
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto paren = text.rfind(')');
  return paren == std::string::npos || (paren + 2 < text.size() && text[paren + 2] == 'Z');
}

bool wait_until_gone(pid_t pid, milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return process_gone(pid);
}

TEST(ProcessTest, CapturesStdout) {
  ProcessOptions options;
  options.argv = {"echo", "hello", "world"};
  auto r = run_ok(options);
  EXPECT_EQ(r.out, "hello world\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(describe(r), "exit 0");
}

TEST(ProcessTest, CapturesStderrAndExitCode) {
  auto r = run_ok(sh("echo out; echo oops >&2; exit 3"));
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(describe(r), "exit 3");
}

TEST(ProcessTest, ArgumentsAreNotInterpretedByAShell) {
  ProcessOptions options;
  options.argv = {"printf", "%s|", "$HOME", "a b", "; rm -rf /", "`id`"};
  auto r = run_ok(options);
  EXPECT_EQ(r.out, "$HOME|a b|; rm -rf /|`id`|");
}

TEST(ProcessTest, Exit127FromTheProgramIsNotAStartFailure) {
  auto r = run_ok(sh("exit 127"));
  EXPECT_EQ(r.exit_code, 127);
}

TEST(ProcessTest, ReportsDeathBySignal) {
  auto r = run_ok(sh("kill -KILL $$"));
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(describe(r), "killed by SIGKILL");
}

TEST(ProcessTest, EnvOverrideIsVisibleToTheChild) {
  auto options = sh("printf '%s' \"$BATON_PROCESS_TEST\"");
  options.env_overrides["BATON_PROCESS_TEST"] = "value with spaces";
  EXPECT_EQ(run_ok(options).out, "value with spaces");
}

TEST(ProcessTest, WithoutInheritOnlyOverridesAreSet) {
  ProcessOptions options;
  options.argv = {"env"};
  options.inherit_env = false;
  options.env_overrides["ONLY"] = "1";
  EXPECT_EQ(run_ok(options).out, "ONLY=1\n");
}

TEST(ProcessTest, RunsInTheGivenDirectory) {
  char dir_template[] = "/tmp/baton-process-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  ProcessOptions options;
  options.argv = {"pwd", "-P"};
  options.cwd = dir_template;
  auto r = run_ok(options);
  EXPECT_EQ(r.out, std::filesystem::canonical(dir_template).string() + "\n");
  std::filesystem::remove(dir_template);
}

TEST(ProcessTest, MissingCwdIsAnErrorNamingIt) {
  ProcessOptions options;
  options.argv = {"true"};
  options.cwd = "/nonexistent/baton-cwd";
  auto r = run_process(options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/baton-cwd"), std::string::npos) << r.error().message;
}

TEST(ProcessTest, ProgramNotInPathIsNotFound) {
  ProcessOptions options;
  options.argv = {"baton-no-such-program"};
  auto r = run_process(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_NE(r.error().message.find("baton-no-such-program"), std::string::npos) << r.error().message;
}

TEST(ProcessTest, MissingAbsolutePathIsNotFoundWithThePath) {
  ProcessOptions options;
  options.argv = {"/nonexistent/bin/baton-tool"};
  auto r = run_process(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_NE(r.error().message.find("/nonexistent/bin/baton-tool"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("No such file"), std::string::npos) << r.error().message;
}

TEST(ProcessTest, NonExecutableFileIsRefused) {
  std::string path = BATON_SOURCE_DIR "/tests/unit/fixtures/nvidia-smi/one-gpu.csv";
  ProcessOptions options;
  options.argv = {path};
  auto r = run_process(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::refused);
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
}

TEST(ProcessTest, EmptyArgvIsInvalid) {
  auto r = run_process(ProcessOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(ProcessTest, TimeoutKillsTheWholeProcessGroup) {
  // Time enough for the shell to start and say its child's pid first.
  auto options = sh("sleep 30 & echo $!; wait");
  options.timeout = milliseconds(1500);
  options.kill_grace = milliseconds(1000);
  auto r = run_ok(options);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGTERM);
  ASSERT_FALSE(r.out.empty());
  EXPECT_NE(describe(r).find("killed by SIGTERM after timeout"), std::string::npos) << describe(r);
  pid_t grandchild = std::stoi(r.out);
  ASSERT_GT(grandchild, 1);
  EXPECT_TRUE(wait_until_gone(grandchild, milliseconds(2000))) << "grandchild " << grandchild << " survived";
}

TEST(ProcessTest, SigtermIgnoredEscalatesToSigkillAfterGrace) {
  // The ignored disposition is inherited by sleep, so the whole group
  // shrugs off SIGTERM.
  auto options = sh("trap '' TERM; sleep 30 & echo $!; wait");
  options.timeout = milliseconds(1500);
  options.kill_grace = milliseconds(300);
  auto r = run_ok(options);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_GE(r.elapsed, milliseconds(1800)) << "the grace was waited out";
  ASSERT_FALSE(r.out.empty());
  EXPECT_NE(describe(r).find("killed by SIGKILL after timeout"), std::string::npos) << describe(r);
  EXPECT_TRUE(wait_until_gone(std::stoi(r.out), milliseconds(2000)));
}

TEST(ProcessTest, BackgroundChildHoldingOutputDoesNotBlockForever) {
  auto options = sh("sleep 30 & echo $!");
  options.kill_grace = milliseconds(200);
  auto r = run_ok(options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(r.elapsed, milliseconds(3000));
  EXPECT_TRUE(wait_until_gone(std::stoi(r.out), milliseconds(2000)));
}

TEST(ProcessTest, TruncationKeepsTheTail) {
  auto options = sh("i=0; while [ $i -lt 2000 ]; do echo line$i; echo err$i >&2; i=$((i+1)); done");
  options.max_output_bytes = 100;
  auto r = run_ok(options);
  EXPECT_EQ(r.out.size(), 100u);
  EXPECT_EQ(r.err.size(), 100u);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_TRUE(r.out.ends_with("line1998\nline1999\n")) << r.out;
  EXPECT_TRUE(r.err.ends_with("err1999\n")) << r.err;
}

TEST(ProcessTest, LargeOutputKeepsTheTail) {
  auto options = sh("head -c 500000 /dev/zero | tr '\\0' a; echo END");
  options.max_output_bytes = 1000;
  auto r = run_ok(options);
  EXPECT_EQ(r.out.size(), 1000u);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(r.out.ends_with("aaaEND\n"));
  EXPECT_FALSE(r.stderr_truncated);
}

TEST(ProcessTest, OutputAtTheLimitIsNotTruncated) {
  ProcessOptions options;
  options.argv = {"printf", "12345"};
  options.max_output_bytes = 5;
  auto r = run_ok(options);
  EXPECT_EQ(r.out, "12345");
  EXPECT_FALSE(r.stdout_truncated);
}

TEST(ProcessTest, StdinPassesThrough) {
  ProcessOptions options;
  options.argv = {"cat"};
  options.stdin_data = "first line\nsecond";
  EXPECT_EQ(run_ok(options).out, "first line\nsecond");
}

TEST(ProcessTest, LargeStdinAndStdoutDoNotDeadlock) {
  ProcessOptions options;
  options.argv = {"cat"};
  options.stdin_data.assign(2 * 1024 * 1024, 'x');
  options.max_output_bytes = options.stdin_data.size();
  options.timeout = milliseconds(20000);
  auto r = run_ok(options);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out.size(), options.stdin_data.size());
}

TEST(ProcessTest, ChildIgnoringStdinDoesNotRaiseSigpipe) {
  ProcessOptions options;
  options.argv = {"true"};
  options.stdin_data.assign(1024 * 1024, 'x');
  auto r = run_ok(options);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(ProcessTest, WithoutStdinDataTheChildReadsEof) {
  ProcessOptions options;
  options.argv = {"cat"};
  options.timeout = milliseconds(5000);
  auto r = run_ok(options);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "");
}

TEST(ProcessTest, ChildInheritsNoOtherFds) {
  // Deliberately inheritable, like a socket opened by a library that does
  // not use CLOEXEC.
  int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 0);
  ProcessOptions options;
  options.argv = {"ls", "/proc/self/fd"};
  auto r = run_ok(options);
  ::close(leaky);
  std::set<std::string> fds;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) fds.insert(line);
  // 0-2 plus the directory ls itself has open; a leaked fd would add one.
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "3"})) << r.out;
}

TEST(ProcessTest, ConcurrentCallsDoNotInterfere) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 10; ++i) {
        ProcessOptions options;
        options.argv = {"echo", std::to_string(t * 100 + i)};
        auto r = run_process(options);
        if (!r.ok() || r.value().out != std::to_string(t * 100 + i) + "\n") ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace baton::sys
