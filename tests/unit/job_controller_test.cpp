#include <fcntl.h>
#include <poll.h>
#include <algorithm>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/sys/process.hpp"
#include "worker/config.hpp"
#include "worker/jobs/job_controller.hpp"

namespace baton::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kFixtures = std::string(BATON_SOURCE_DIR) + "/tests/unit/fixtures/jobs/";
constexpr auto kEventWait = 20s;

// What the controller emitted, waited on without sleeping.
class EventLog {
 public:
  EmitEvent emitter() {
    return [this](v1::Envelope e) {
      {
        std::lock_guard lock(mu_);
        events_.push_back(std::move(e));
      }
      cv_.notify_all();
    };
  }

  std::optional<v1::Envelope> wait_for(const std::function<bool(const v1::Envelope&)>& match,
                                       std::chrono::milliseconds limit = kEventWait) {
    std::unique_lock lock(mu_);
    std::optional<v1::Envelope> found;
    cv_.wait_for(lock, limit, [&] {
      for (const auto& e : events_) {
        if (match(e)) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  v1::StepFinished finished(const std::string& case_id) {
    auto e = wait_for([&](const v1::Envelope& e) {
      return e.has_step_finished() && e.step_finished().step().case_id() == case_id;
    });
    EXPECT_TRUE(e) << "no StepFinished for " << case_id;
    return e ? e->step_finished() : v1::StepFinished{};
  }

  v1::StepStarted started(const std::string& case_id) {
    auto e = wait_for([&](const v1::Envelope& e) {
      return e.has_step_started() && e.step_started().step().case_id() == case_id;
    });
    EXPECT_TRUE(e) << "no StepStarted for " << case_id;
    return e ? e->step_started() : v1::StepStarted{};
  }

  std::string rejected(const std::string& case_id) {
    auto e = wait_for([&](const v1::Envelope& e) {
      return e.has_step_rejected() && e.step_rejected().step().case_id() == case_id;
    });
    EXPECT_TRUE(e) << "no StepRejected for " << case_id;
    return e ? e->step_rejected().reason() : "";
  }

  std::vector<v1::Envelope> all() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::Envelope> events_;
};

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto paren = text.rfind(')');
  return paren == std::string::npos || (paren + 2 < text.size() && text[paren + 2] == 'Z');
}

// Polls what other processes do; there is no event to wait on.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = kEventWait) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

pid_t parent_of(pid_t pid) {
  std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(text.substr(text.rfind(')') + 1));
  char state;
  pid_t ppid = 0;
  fields >> state >> ppid;
  return ppid;
}

// This process's children that are spare supervisors (`baton-supervise --spare`).
std::vector<pid_t> spare_supervisors() {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (parent_of(pid) != ::getpid() || process_gone(pid)) continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find("baton-supervise --spare") != std::string::npos) out.push_back(pid);
  }
  return out;
}

class JobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("baton-jobs-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string yaml = R"(actions:
  output:
    argv: [")" + kFixtures + R"(output.sh", "{lines}", "{code}"]
    params: {lines: {type: integer, min: 0, max: 1000}, code: {type: integer, min: 0, max: 255, default: "0"}}
  progress:
    argv: [")" + kFixtures + R"(progress.sh"]
  grandchild:
    argv: [")" + kFixtures + R"(grandchild.sh", "{pid_file}"]
    params: {pid_file: {pattern: "[A-Za-z0-9_./-]+"}}
  grandchild_short:
    argv: [")" + kFixtures + R"(grandchild.sh", "{pid_file}"]
    params: {pid_file: {pattern: "[A-Za-z0-9_./-]+"}}
    timeout: 3s
  env:
    argv: [")" + kFixtures + R"(env.sh", "{fd}"]
    params: {fd: {type: integer, min: 0, max: 100000}}
    env: {ACTION_ENV: "step {step}"}
    cwd: /tmp
  marker:
    argv: [")" + kFixtures + R"(marker.sh", "{file}", "{release}"]
    params: {file: {pattern: "[A-Za-z0-9_./-]+"}, release: {pattern: "[A-Za-z0-9_./-]+"}}
  wait_for:
    argv: [")" + kFixtures + R"(wait_for.sh", "{file}", "{code}"]
    params: {file: {pattern: "[A-Za-z0-9_./-]+"}, code: {type: integer, min: 0, max: 255}}
  missing:
    argv: [/nonexistent/program]
  unfound:
    argv: [baton-no-such-program]
  sleep:
    argv: [/bin/sleep, "1.1"]
  nowhere:
    argv: [/bin/true]
    cwd: )" + (dir_ / "no-such-dir").string() + R"(
)";
    std::ofstream(dir_ / "worker.yaml") << yaml;
    actions_ = load_worker_config((dir_ / "worker.yaml").string()).actions;
  }

  void TearDown() override {
    controller_.reset();
    for (pid_t pid : cleanup_groups_) ::kill(-pid, SIGKILL);
    // A killed job's supervisor may still be writing its exit file.
    std::error_code ec;
    for (int i = 0; i < 5 && fs::remove_all(dir_, ec) == static_cast<std::uintmax_t>(-1); ++i) {
    }
  }

  JobController& make(unsigned slots = 4) {
    controller_ = unstarted(slots);
    auto st = controller_->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    return *controller_;
  }

  std::unique_ptr<JobController> unstarted(unsigned slots = 4, std::string supervisor_program = "") {
    controller_.reset();
    JobControllerOptions options;
    options.worker_id = "w1";
    options.slots = slots;
    options.state_dir = (dir_ / "state").string();
    options.kill_grace = 500ms;
    options.output_tail_lines = 5;
    options.supervisor_program = std::move(supervisor_program);
    return std::make_unique<JobController>(options, ActionRegistry(actions_), clock_, events_.emitter());
  }

  static v1::RunStep step(const std::string& case_id, const std::string& action,
                          std::map<std::string, std::string> params, uint32_t slots = 1) {
    v1::RunStep s;
    s.set_case_id(case_id);
    s.set_step_index(0);
    s.set_attempt(1);
    s.set_action(action);
    s.set_slots(slots);
    for (auto& [k, v] : params) (*s.mutable_params())[k] = v;
    return s;
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  pid_t read_pid_file(const std::string& file) {
    EXPECT_TRUE(wait_until([&] { return fs::exists(file); })) << file;
    return static_cast<pid_t>(std::stol(read_file(file)));
  }

  fs::path dir_;
  std::vector<ActionSpec> actions_;
  SystemClock clock_;
  EventLog events_;
  std::unique_ptr<JobController> controller_;
  std::vector<pid_t> cleanup_groups_;
};

TEST_F(JobControllerTest, SucceedsWithOutputTail) {
  auto& jobs = make();
  jobs.run_step(step("c1", "output", {{"lines", "12"}}));
  auto started = events_.started("c1");
  EXPECT_EQ(started.step().worker_id(), "w1");
  EXPECT_EQ(started.log_path(), path("state/logs/c1/0-1.log"));
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::SUCCEEDED);
  EXPECT_EQ(finished.exit_code(), 0);
  EXPECT_EQ(finished.message(), "exit 0");
  EXPECT_EQ(finished.output_tail(), "line 8\nline 9\nline 10\nline 11\nline 12");
  EXPECT_EQ(finished.step().worker_id(), "w1");
  // Said again in the StepFinished, for a conductor that never gets the StepStarted.
  EXPECT_EQ(finished.started().pid(), started.pid());
  EXPECT_NE(finished.started().pid(), 0u);
  EXPECT_EQ(finished.started().log_path(), started.log_path());
  EXPECT_EQ(finished.started().step().case_id(), "c1");
  auto all = events_.all();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all.front().message_id(), "c1/0/1/started");
  EXPECT_EQ(all.back().message_id(), "c1/0/1/finished");
  EXPECT_TRUE(jobs.wait_idle(5s));
  EXPECT_EQ(jobs.free_slots(), 4u);
  // stderr goes to the same log.
  EXPECT_NE(read_file(started.log_path()).find("line 1\n"), std::string::npos);
}

TEST_F(JobControllerTest, NonZeroExitFails) {
  make().run_step(step("c1", "output", {{"lines", "1"}, {"code", "3"}}));
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::FAILED);
  EXPECT_EQ(finished.exit_code(), 3);
  EXPECT_EQ(finished.message(), "exit 3");
}

TEST_F(JobControllerTest, ProgressLinesBecomeEventsInOrder) {
  make().run_step(step("c1", "progress", {}));
  events_.finished("c1");
  std::vector<unsigned> percents;
  std::vector<std::string> messages;
  for (const auto& e : events_.all()) {
    if (!e.has_step_progress()) continue;
    percents.push_back(e.step_progress().percent());
    messages.push_back(e.step_progress().message());
    EXPECT_TRUE(e.message_id().empty());
  }
  // The lines are 300 ms apart, over the 200 ms rate limit, so each is
  // normally its own event; a stalled machine may merge one into the next
  // (only the latest pending line is sent), never reorder or garble them.
  const std::map<unsigned, std::string> expected{{10, "starting"}, {50, "halfway there"}, {100, ""}};
  ASSERT_FALSE(percents.empty());
  EXPECT_EQ(percents.back(), 100u) << "the last line is always sent";
  EXPECT_TRUE(std::is_sorted(percents.begin(), percents.end()));
  EXPECT_EQ(std::adjacent_find(percents.begin(), percents.end()), percents.end()) << "no line twice";
  for (size_t i = 0; i < percents.size(); ++i) {
    ASSERT_TRUE(expected.count(percents[i])) << percents[i];
    EXPECT_EQ(messages[i], expected.at(percents[i]));
  }
  // Every progress event comes before the end.
  auto all = events_.all();
  EXPECT_TRUE(all.back().has_step_finished());
}

TEST_F(JobControllerTest, TimeoutStopsTheWholeProcessGroup) {
  const std::string pid_file = path("grandchild.pid");
  make().run_step(step("c1", "grandchild_short", {{"pid_file", pid_file}}));
  const pid_t grandchild = read_pid_file(pid_file);
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::TIMED_OUT);
  EXPECT_NE(finished.message().find("timed out after 3s"), std::string::npos) << finished.message();
  EXPECT_EQ(finished.signal(), SIGTERM);
  EXPECT_TRUE(wait_until([&] { return process_gone(grandchild); }, 5s)) << "grandchild " << grandchild << " survived";
}

TEST_F(JobControllerTest, CancelStopsTheWholeProcessGroup) {
  const std::string pid_file = path("grandchild.pid");
  auto& jobs = make();
  jobs.run_step(step("c1", "grandchild", {{"pid_file", pid_file}}));
  const pid_t grandchild = read_pid_file(pid_file);
  EXPECT_EQ(jobs.running_count(), 1u);
  EXPECT_EQ(jobs.running().steps_size(), 1);
  v1::CancelStep cancel;
  cancel.set_case_id("c1");
  cancel.set_step_index(0);
  cancel.set_attempt(1);
  cancel.set_reason("operator asked");
  jobs.cancel_step(cancel);
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::CANCELLED);
  EXPECT_NE(finished.message().find("cancelled: operator asked"), std::string::npos) << finished.message();
  EXPECT_TRUE(wait_until([&] { return process_gone(grandchild); }, 5s)) << "grandchild " << grandchild << " survived";
  EXPECT_TRUE(jobs.wait_idle(5s));
}

TEST_F(JobControllerTest, JobSeesGpusAndBatonEnvironmentButNoWorkerFds) {
  // A descriptor the worker holds without close-on-exec, like a socket a library opened.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  auto& jobs = make();
  auto with_gpus = step("c1", "env", {{"fd", std::to_string(leaked)}});
  with_gpus.set_step_index(4);
  with_gpus.set_attempt(2);
  with_gpus.add_gpus(0);
  with_gpus.add_gpus(2);
  jobs.run_step(with_gpus);
  jobs.run_step(step("c2", "env", {{"fd", std::to_string(leaked)}}));
  auto first = events_.finished("c1");
  auto second = events_.finished("c2");
  ::close(leaked);
  EXPECT_NE(first.output_tail().find("CUDA_VISIBLE_DEVICES=[0,2]"), std::string::npos) << first.output_tail();
  EXPECT_NE(first.output_tail().find("BATON_CASE_ID=c1 BATON_STEP=4 BATON_ATTEMPT=2"), std::string::npos);
  EXPECT_NE(first.output_tail().find("ACTION_ENV=step 4"), std::string::npos);
  EXPECT_NE(first.output_tail().find("fd " + std::to_string(leaked) + " closed"), std::string::npos);
  EXPECT_NE(first.output_tail().find("cwd=/tmp"), std::string::npos);
  // No GPUs assigned: set, and empty, so the job cannot take them all.
  EXPECT_NE(second.output_tail().find("CUDA_VISIBLE_DEVICES=[]"), std::string::npos) << second.output_tail();
}

TEST_F(JobControllerTest, RepeatedRunStepStartsOnce) {
  const std::string marker = path("marker");
  const std::string release = path("release");
  auto& jobs = make();
  auto command = step("c1", "marker", {{"file", marker}, {"release", release}});
  jobs.run_step(command);
  events_.started("c1");
  jobs.run_step(command);
  EXPECT_EQ(jobs.running_count(), 1u);
  std::ofstream(release) << "go";
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::SUCCEEDED);
  jobs.run_step(command);
  // The repeats only repeat the reports, with the same ids.
  int started = 0, finished_count = 0;
  ASSERT_TRUE(wait_until([&] {
    finished_count = 0;
    for (const auto& e : events_.all()) finished_count += e.has_step_finished();
    return finished_count == 2;
  }, 5s));
  for (const auto& e : events_.all()) {
    if (e.has_step_started()) {
      ++started;
      EXPECT_EQ(e.message_id(), "c1/0/1/started");
    }
    if (e.has_step_finished()) {
      EXPECT_EQ(e.message_id(), "c1/0/1/finished");
    }
  }
  EXPECT_EQ(started, 2);
  // Also across a restart of the worker: jobs.db remembers.
  make().run_step(command);
  ASSERT_TRUE(wait_until([&] {
    int n = 0;
    for (const auto& e : events_.all()) n += e.has_step_finished();
    return n == 3;
  }, 5s));
  EXPECT_EQ(read_file(marker).size(), read_file(marker).find('\n') + 1) << read_file(marker);
}

TEST_F(JobControllerTest, RejectsWhatItCannotRun) {
  auto& jobs = make(2);
  jobs.run_step(step("c1", "rm", {}));
  EXPECT_EQ(events_.rejected("c1"), "unknown action 'rm'");
  jobs.run_step(step("c2", "output", {{"lines", "1"}, {"x", "1"}}));
  EXPECT_EQ(events_.rejected("c2"), "unknown parameter 'x' for action 'output'");
  jobs.run_step(step("../etc", "output", {{"lines", "1"}}));
  EXPECT_NE(events_.rejected("../etc").find("invalid case id"), std::string::npos);
  jobs.run_step(step("c3", "missing", {}));
  EXPECT_NE(events_.rejected("c3").find("cannot execute /nonexistent/program"), std::string::npos);
  jobs.run_step(step("c6", "nowhere", {}));
  EXPECT_EQ(events_.rejected("c6"), "cannot chdir to " + path("no-such-dir") + " to run /bin/true: No such file or directory");

  const std::string pid_file = path("g.pid");
  jobs.run_step(step("c4", "grandchild", {{"pid_file", pid_file}}));
  cleanup_groups_.push_back(static_cast<pid_t>(events_.started("c4").pid()));
  EXPECT_EQ(jobs.free_slots(), 1u);
  jobs.run_step(step("c5", "output", {{"lines", "1"}}, 2));
  EXPECT_EQ(events_.rejected("c5"), "no free slot (1 of 2 in use, 2 needed)");
  // A rejected step was never recorded, so it may be sent again later.
  jobs.run_step(step("c3", "output", {{"lines", "1"}}));
  EXPECT_EQ(events_.finished("c3").outcome(), v1::StepFinished::SUCCEEDED);
}

TEST_F(JobControllerTest, AdoptsJobsAfterAWorkerRestart) {
  const std::string go = path("go");
  make().run_step(step("c1", "wait_for", {{"file", go}, {"code", "7"}}));
  auto started = events_.started("c1");
  cleanup_groups_.push_back(static_cast<pid_t>(started.pid()));
  // The worker dies; its job runs on.
  controller_.reset();
  ASSERT_FALSE(process_gone(static_cast<pid_t>(started.pid())));

  auto& jobs = make();
  EXPECT_EQ(jobs.running_count(), 1u);
  EXPECT_EQ(jobs.free_slots(), 3u);
  ASSERT_EQ(jobs.running().steps_size(), 1);
  EXPECT_EQ(jobs.running().steps(0).case_id(), "c1");
  // A redelivered RunStep for the adopted job does not start it again.
  jobs.run_step(step("c1", "wait_for", {{"file", go}, {"code", "7"}}));
  std::ofstream(go) << "go";
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::FAILED);
  EXPECT_EQ(finished.exit_code(), 7);
  EXPECT_EQ(finished.message(), "exit 7");
  EXPECT_NE(finished.output_tail().find("found it"), std::string::npos) << finished.output_tail();
  EXPECT_EQ(read_file(started.log_path()).find("waiting for"), 0u);
  EXPECT_TRUE(jobs.wait_idle(5s));
}

TEST_F(JobControllerTest, JobThatEndedWhileNoWorkerRanIsReported) {
  const std::string go = path("go");
  make().run_step(step("c1", "wait_for", {{"file", go}, {"code", "0"}}));
  auto started = events_.started("c1");
  controller_.reset();
  std::ofstream(go) << "go";
  ASSERT_TRUE(wait_until([&] { return process_gone(static_cast<pid_t>(started.pid())); }));
  make();
  EXPECT_EQ(events_.finished("c1").outcome(), v1::StepFinished::SUCCEEDED);
}

TEST_F(JobControllerTest, AtStartExitFilesOfReportedJobsAreSweptAndAnAdoptedJobsIsKept) {
  const std::string go = path("go");
  make().run_step(step("c1", "wait_for", {{"file", go}, {"code", "0"}}));
  auto started = events_.started("c1");
  controller_.reset();
  std::ofstream(go) << "go";
  const fs::path jobs_dir = dir_ / "state" / "jobs";
  ASSERT_TRUE(wait_until([&] { return fs::exists(jobs_dir / "c1-0-1.exit"); })) << "the supervisor records the end";
  // Left by a worker that died between reporting jobs and removing their files.
  std::ofstream(jobs_dir / "notes.txt") << "not ours to remove";
  std::ofstream(jobs_dir / "old-0-1.exit") << "0 0 0 0\n";
  std::ofstream(jobs_dir / "old-0-2.exit.tmp") << "0";
  size_t files_before = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(jobs_dir)) ++files_before;
  ASSERT_EQ(files_before, 4u) << "c1's own exit file, the two leftovers and a stranger";

  make();
  EXPECT_FALSE(fs::exists(jobs_dir / "old-0-1.exit"));
  EXPECT_FALSE(fs::exists(jobs_dir / "old-0-2.exit.tmp"));
  EXPECT_TRUE(fs::exists(jobs_dir / "notes.txt")) << "only exit files are swept";
  EXPECT_EQ(events_.finished("c1").outcome(), v1::StepFinished::SUCCEEDED) << "its exit file was read, not swept";
}

TEST_F(JobControllerTest, SupervisorKilledMeansJobLost) {
  auto& jobs = make();
  jobs.run_step(step("c1", "wait_for", {{"file", path("never")}, {"code", "0"}}));
  const pid_t job = static_cast<pid_t>(events_.started("c1").pid());
  cleanup_groups_.push_back(job);
  const pid_t supervisor = parent_of(job);
  ASSERT_GT(supervisor, 1);
  ASSERT_NE(supervisor, ::getpid());
  ::kill(supervisor, SIGKILL);
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::FAILED);
  EXPECT_EQ(finished.message(), "job lost: its supervisor died without recording an exit status");
  // Nobody would ever report the orphan, so it is stopped.
  EXPECT_TRUE(wait_until([&] { return process_gone(job); }, 5s));
}

// run_step returns while the supervisor is still starting the job; a repeat
// or a cancel arriving then must neither start it twice nor be lost.
TEST_F(JobControllerTest, RepeatAndCancelWhileStartingAreHonoured) {
  const std::string pid_file = path("grandchild.pid");
  auto& jobs = make();
  auto command = step("c1", "grandchild", {{"pid_file", pid_file}});
  v1::CancelStep cancel;
  cancel.set_case_id("c1");
  cancel.set_step_index(0);
  cancel.set_attempt(1);
  cancel.set_reason("changed my mind");
  jobs.run_step(command);
  jobs.run_step(command);
  jobs.cancel_step(cancel);
  const pid_t job = static_cast<pid_t>(events_.started("c1").pid());
  cleanup_groups_.push_back(job);
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::CANCELLED);
  EXPECT_NE(finished.message().find("cancelled: changed my mind"), std::string::npos) << finished.message();
  // One job: a repeat seen after the answer repeats the same StepStarted.
  std::set<uint32_t> pids;
  for (const auto& e : events_.all()) {
    if (!e.has_step_started()) continue;
    pids.insert(e.step_started().pid());
    EXPECT_EQ(e.message_id(), "c1/0/1/started");
  }
  EXPECT_EQ(pids, std::set<uint32_t>{static_cast<uint32_t>(job)});
  EXPECT_TRUE(wait_until([&] { return process_gone(job); }, 5s));
}

TEST_F(JobControllerTest, StartFailsWhenTheSupervisorProgramIsMissing) {
  const std::string missing = path("bin/baton-supervise");
  auto jobs = unstarted(4, missing);
  auto st = jobs->start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "cannot run the job supervisor " + missing +
                                    ": No such file or directory (it is built beside baton-worker; set "
                                    "jobs.supervisor to its path)");
}

// A spare supervisor runs job after job, one at a time: a one-slot worker
// never needs a second one. A cancel that reaches it between jobs is not
// the next job's, and a cancel still works on a supervisor's later job.
TEST_F(JobControllerTest, ASupervisorRunsJobAfterJob) {
  auto& jobs = make(1);
  // Its command line appears once its exec is through.
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t supervisor = spare_supervisors()[0];
  auto supervisor_of = [&](const std::string& case_id) {
    return parent_of(static_cast<pid_t>(events_.started(case_id).pid()));
  };

  jobs.run_step(step("c1", "wait_for", {{"file", path("go1")}, {"code", "0"}}));
  EXPECT_EQ(supervisor_of("c1"), supervisor);
  std::ofstream(path("go1")) << "go";
  EXPECT_EQ(events_.finished("c1").outcome(), v1::StepFinished::SUCCEEDED);
  // Its exit file is removed once reported.
  EXPECT_TRUE(wait_until([&] { return fs::is_empty(dir_ / "state" / "jobs"); }));

  ::kill(supervisor, SIGUSR1);
  jobs.run_step(step("c2", "wait_for", {{"file", path("go2")}, {"code", "3"}}));
  EXPECT_EQ(supervisor_of("c2"), supervisor);
  std::ofstream(path("go2")) << "go";
  auto second = events_.finished("c2");
  EXPECT_EQ(second.outcome(), v1::StepFinished::FAILED) << second.message();
  EXPECT_EQ(second.exit_code(), 3);
  // Each job's output went to its own log.
  EXPECT_EQ(second.output_tail(), "waiting for " + path("go2") + "\nfound it");

  jobs.run_step(step("c3", "wait_for", {{"file", path("never")}, {"code", "0"}}));
  const pid_t third = static_cast<pid_t>(events_.started("c3").pid());
  cleanup_groups_.push_back(third);
  EXPECT_EQ(parent_of(third), supervisor);
  v1::CancelStep cancel;
  cancel.set_case_id("c3");
  cancel.set_step_index(0);
  cancel.set_attempt(1);
  jobs.cancel_step(cancel);
  EXPECT_EQ(events_.finished("c3").outcome(), v1::StepFinished::CANCELLED);
  EXPECT_EQ(spare_supervisors(), std::vector<pid_t>{supervisor});
}

// A spare that died while waiting is replaced by a supervisor for that job
// alone, which is collected once it recorded the end (thousands of short
// jobs would otherwise leave zombies filling the pid space).
TEST_F(JobControllerTest, ALostSpareIsReplacedAndAOneJobSupervisorIsCollected) {
  auto& jobs = make();
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t spare = spare_supervisors()[0];
  ::kill(spare, SIGKILL);
  ASSERT_TRUE(wait_until([&] { return process_gone(spare); }));

  const std::string go = path("go");
  jobs.run_step(step("c1", "wait_for", {{"file", go}, {"code", "0"}}));
  const pid_t supervisor = parent_of(static_cast<pid_t>(events_.started("c1").pid()));
  ASSERT_GT(supervisor, 1);
  ASSERT_NE(supervisor, ::getpid());
  EXPECT_NE(supervisor, spare);
  std::ofstream(go) << "go";
  EXPECT_EQ(events_.finished("c1").outcome(), v1::StepFinished::SUCCEEDED);
  EXPECT_TRUE(wait_until([&] {
    int status;
    return ::waitpid(supervisor, &status, WNOHANG) == -1 && errno == ECHILD;
  })) << "supervisor " << supervisor << " was not reaped";
  // A new spare waits for the next job.
  EXPECT_TRUE(wait_until([&] {
    auto spares = spare_supervisors();
    return spares.size() == 1 && spares[0] != spare;
  }));
}

// A job whose program is not in PATH is refused before any spare is used:
// the idle one stays idle (and is not left a zombie).
TEST_F(JobControllerTest, ARequestThatCannotBeDescribedLeavesTheSpareIdle) {
  auto& jobs = make();
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t spare = spare_supervisors()[0];
  jobs.run_step(step("c1", "unfound", {}));
  EXPECT_EQ(events_.rejected("c1"), "cannot execute baton-no-such-program: not found in PATH");
  EXPECT_EQ(spare_supervisors(), std::vector<pid_t>{spare});
  jobs.run_step(step("c2", "wait_for", {{"file", path("go")}, {"code", "0"}}));
  EXPECT_EQ(parent_of(static_cast<pid_t>(events_.started("c2").pid())), spare);
  std::ofstream(path("go")) << "go";
  EXPECT_EQ(events_.finished("c2").outcome(), v1::StepFinished::SUCCEEDED);
}

// A supervisor that cannot record its job's end (here its directory is
// gone; a full disk does the same) must not live on as if the job still ran.
// While its worker listens it need not write the file (the end goes on its
// socket), so the worker is gone here when the job ends.
TEST_F(JobControllerTest, AnEndThatCannotBeRecordedIsAJobLost) {
  make().run_step(step("c1", "wait_for", {{"file", path("go")}, {"code", "0"}}));
  const pid_t job = static_cast<pid_t>(events_.started("c1").pid());
  cleanup_groups_.push_back(job);
  const pid_t supervisor = parent_of(job);
  controller_.reset();
  fs::remove_all(dir_ / "state" / "jobs");
  std::ofstream(path("go")) << "go";
  ASSERT_TRUE(wait_until([&] { return process_gone(supervisor); })) << "the supervisor lives on";
  make();
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::FAILED);
  EXPECT_EQ(finished.message(), "job lost: its supervisor died without recording an exit status");
}

// Names of the files created or renamed into a directory since the watch
// began (inotify), read without waiting.
class DirectoryWatch {
 public:
  explicit DirectoryWatch(const fs::path& dir) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    EXPECT_GE(::inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO), 0) << dir;
  }
  ~DirectoryWatch() { ::close(fd_); }
  std::vector<std::string> names() {
    alignas(inotify_event) char buf[8192];
    std::vector<std::string> out;
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
      for (char* p = buf; p < buf + n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(p);
        if (e->len > 0) out.emplace_back(e->name);
        p += sizeof(inotify_event) + e->len;
      }
    }
    return out;
  }

 private:
  int fd_;
};

// A spare's short job is reported on its socket: no exit file is created,
// and the supervisor takes the next job.
TEST_F(JobControllerTest, AShortJobsEndComesOnItsSupervisorsSocket) {
  auto& jobs = make(1);
  DirectoryWatch watch(dir_ / "state" / "jobs");
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t supervisor = spare_supervisors()[0];
  std::set<std::string> short_jobs;
  for (const std::string id : {"c1", "c2", "c3"}) {
    jobs.run_step(step(id, "output", {{"lines", "2"}, {"code", id == "c2" ? "4" : "0"}}));
    auto finished = events_.finished(id);
    EXPECT_EQ(finished.exit_code(), id == "c2" ? 4 : 0) << id;
    EXPECT_EQ(finished.output_tail(), "line 1\nline 2") << id;
    // One that took a second (a very busy machine) gets its file by design.
    if (finished.duration_ms() < 900) short_jobs.insert(id + "-0-1.exit");
  }
  EXPECT_FALSE(short_jobs.empty());
  for (const auto& name : watch.names()) {
    const std::string exit_name = name.ends_with(".tmp") ? name.substr(0, name.size() - 4) : name;
    EXPECT_EQ(short_jobs.count(exit_name), 0u) << name << " was written";
  }
  EXPECT_EQ(spare_supervisors(), std::vector<pid_t>{supervisor}) << "the supervisor did not stay";
}

// A job that ran a second or more also gets its exit file, flushed, before
// its end is told on the socket (a machine crash must not lose the end of a
// long job); the worker removes it once the end is recorded.
TEST_F(JobControllerTest, ALongJobsEndIsAlsoFiledAndTheFileRemoved) {
  auto& jobs = make(1);
  DirectoryWatch watch(dir_ / "state" / "jobs");
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t supervisor = spare_supervisors()[0];
  jobs.run_step(step("c1", "sleep", {}));
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::SUCCEEDED) << finished.message();
  EXPECT_GE(finished.duration_ms(), 1000u);
  const auto names = watch.names();
  EXPECT_NE(std::find(names.begin(), names.end(), "c1-0-1.exit"), names.end()) << "no exit file was written";
  EXPECT_TRUE(wait_until([&] { return fs::is_empty(dir_ / "state" / "jobs"); }));
  // Its supervisor takes the next job.
  jobs.run_step(step("c2", "output", {{"lines", "1"}}));
  EXPECT_EQ(events_.finished("c2").outcome(), v1::StepFinished::SUCCEEDED);
  EXPECT_EQ(spare_supervisors(), std::vector<pid_t>{supervisor});
}

// The worker read a job's end from the socket but died before answering:
// the supervisor writes the exit file, for the next worker to find, and
// exits. Answered, it writes none and takes the next job.
TEST_F(JobControllerTest, AReportLeftUnansweredBecomesAnExitFile) {
  auto spare = start_spare(default_supervisor_program());
  ASSERT_TRUE(spare.ok()) << spare.error().message;
  const pid_t supervisor = spare->supervisor_pid;
  auto run = [&](StartingSupervisor idle, const std::string& name, const std::string& code) {
    SupervisorRequest request;
    request.argv = {"/bin/sh", "-c", "exit " + code};
    request.log_path = path(name + ".log");
    request.exit_path = path(name + ".exit");
    auto described = describe_for_spare(request);
    if (!described.ok()) {
      ADD_FAILURE() << described.error().message;
      return StartingSupervisor{};
    }
    auto handed = hand_to_spare(std::move(idle), *described, request);
    if (!handed.ok()) {
      ADD_FAILURE() << handed.error().message;
      return StartingSupervisor{};
    }
    EXPECT_TRUE(confirm_start(*handed).ok());
    pollfd p{handed->handshake_fd, POLLIN, 0};
    if (::poll(&p, 1, 20000) != 1) {
      ADD_FAILURE() << "no report from the supervisor of " << name;
      return StartingSupervisor{};
    }
    auto report = read_exit_report(handed->handshake_fd);
    EXPECT_TRUE(report.has_value());
    if (report) {
      EXPECT_EQ(report->exit.exit_code, std::stoi(code));
      // A job of a second or more is filed too (a very busy machine).
      if (!report->filed) {
        EXPECT_FALSE(fs::exists(path(name + ".exit"))) << name;
      }
    }
    return std::move(handed).value();
  };

  StartingSupervisor first = run(std::move(spare).value(), "first", "0");
  ASSERT_GE(first.handshake_fd, 0);
  ASSERT_TRUE(acknowledge_exit_report(first.handshake_fd));
  StartingSupervisor second = run(std::move(first), "second", "5");
  ASSERT_GE(second.handshake_fd, 0);
  ::close(std::exchange(second.handshake_fd, -1));  // the worker dies without answering
  int status = 0;
  ASSERT_EQ(::waitpid(supervisor, &status, 0), supervisor);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto filed = read_exit_file(path("second.exit"));
  ASSERT_TRUE(filed.has_value()) << "no exit file after the unanswered report";
  EXPECT_EQ(filed->exit_code, 5);
  EXPECT_EQ(filed->end, ExitRecord::End::exited);
}

// Upgrades swap baton-supervise under a running worker. A spare started
// without --report (by an older worker) records ends in exit files only.
TEST_F(JobControllerTest, ASpareStartedWithoutReportWritesExitFiles) {
  const std::string wrapper = path("supervise-without-report.sh");
  std::ofstream(wrapper) << "#!/bin/sh\nexec " << default_supervisor_program() << " --spare\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  auto spare = start_spare(wrapper);
  ASSERT_TRUE(spare.ok()) << spare.error().message;
  SupervisorRequest request;
  request.argv = {"/bin/sh", "-c", "exit 6"};
  request.log_path = path("job.log");
  request.exit_path = path("job.exit");
  auto described = describe_for_spare(request);
  ASSERT_TRUE(described.ok());
  auto handed = hand_to_spare(std::move(spare).value(), *described, request);
  ASSERT_TRUE(handed.ok()) << handed.error().message;
  ASSERT_TRUE(confirm_start(*handed).ok());
  ASSERT_TRUE(wait_until([&] { return read_exit_file(path("job.exit")).has_value(); }));
  EXPECT_EQ(read_exit_file(path("job.exit"))->exit_code, 6);
  pollfd p{handed->handshake_fd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "it spoke on the socket";
  retire_spare(*handed);
}

// An older baton-supervise would refuse --report: the worker says so at
// start rather than losing spares' jobs.
TEST_F(JobControllerTest, AnOlderSupervisorIsRefusedAtStart) {
  const std::string old = path("supervise-old.sh");
  // What a baton-supervise without --protocol answers.
  std::ofstream(old) << "#!/bin/sh\necho 'baton-supervise: an option without its value' >&2\nexit 2\n";
  fs::permissions(old, fs::perms::owner_all);
  auto jobs = unstarted(2, old);
  auto st = jobs->start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "the job supervisor " + old +
                                    " does not speak protocol 2 of this worker: no protocol (it is older than this "
                                    "worker); install the baton-supervise built with this baton-worker");
}

// A long job's exit file cannot be written (its directory is gone; a full
// disk does the same) while its worker listens: the end is still told on
// the socket.
TEST_F(JobControllerTest, ALongJobsEndThatCannotBeFiledIsStillTold) {
  auto& jobs = make(1);
  jobs.run_step(step("c1", "sleep", {}));
  events_.started("c1");
  fs::remove_all(dir_ / "state" / "jobs");
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::SUCCEEDED) << finished.message();
}

// A worker handed a job to a spare and died before its answer; the spare
// had not read the job yet when the next worker's cancel reached it, so it
// took the signal for its previous job's. The cancel is repeated until the
// end is recorded.
TEST_F(JobControllerTest, ACancelIsRepeatedUntilTheEndIsRecorded) {
  make();
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t spare = spare_supervisors()[0];
  ::kill(spare, SIGSTOP);
  controller_->run_step(step("c1", "wait_for", {{"file", path("never")}, {"code", "0"}}));
  controller_.reset();  // dies before the answer

  auto& jobs = make();
  ASSERT_EQ(jobs.running_count(), 1u);
  v1::CancelStep cancel;
  cancel.set_case_id("c1");
  cancel.set_step_index(0);
  cancel.set_attempt(1);
  cancel.set_reason("stop it");
  jobs.cancel_step(cancel);
  ::kill(spare, SIGCONT);  // the cancel is handled before the job is read
  auto finished = events_.finished("c1");
  EXPECT_EQ(finished.outcome(), v1::StepFinished::CANCELLED) << finished.message();
  EXPECT_NE(finished.message().find("cancelled: stop it"), std::string::npos) << finished.message();
}

TEST_F(JobControllerTest, TheSpareSupervisorLeavesWithTheController) {
  make();
  ASSERT_TRUE(wait_until([] { return spare_supervisors().size() == 1; }));
  const pid_t spare = spare_supervisors()[0];
  controller_.reset();
  int status;
  EXPECT_EQ(::waitpid(spare, &status, WNOHANG), -1) << "the spare was not collected";
  EXPECT_EQ(errno, ECHILD);
}

TEST(SuperviseProgramTest, RunByHandItExplainsItself) {
  const std::string program = default_supervisor_program();
  sys::ProcessOptions by_hand;
  by_hand.argv = {program, "--exit", "relative.exit", "--", "/bin/true"};
  auto relative = sys::run_process(by_hand);
  ASSERT_TRUE(relative.ok()) << relative.error().message;
  EXPECT_EQ(relative->exit_code, 2);
  EXPECT_NE(relative->err.find("baton-supervise: --exit needs an absolute path\nusage: baton-supervise --exit PATH"),
            std::string::npos)
      << relative->err;
  by_hand.argv = {program, "--exit", "/tmp/x.exit", "--", "/bin/true"};
  auto no_pipe = sys::run_process(by_hand);
  ASSERT_TRUE(no_pipe.ok());
  EXPECT_EQ(no_pipe->exit_code, 2);
  EXPECT_NE(no_pipe->err.find("fd 3 (the handshake pipe) is not open"), std::string::npos) << no_pipe->err;
}

}  // namespace
}  // namespace baton::worker
