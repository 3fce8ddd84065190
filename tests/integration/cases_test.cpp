#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/http/client.hpp"
#include "common/sqlite/database.hpp"
#include "tests/integration/support/broker_env.hpp"
#include "tests/integration/support/child_process.hpp"
#include "tests/integration/support/system.hpp"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::System;

constexpr const char* kWorkflows = R"(workflows:
  three:
    steps:
      - {name: a, action: mark, pool: test, params: {nap: "0"}}
      - {name: b, action: mark, pool: test, params: {nap: "0"}}
      - {name: c, action: mark, pool: test, params: {nap: "0"}}
  flaky:
    steps:
      - name: only
        action: mark
        pool: test
        params: {fail_until: "{fail_until}", nap: "0"}
        retry: {max_attempts: 3, backoff: 100ms}
  slow:
    steps:
      - {name: nap, action: mark, pool: test, timeout: 4s, params: {nap: "{nap}"}}
  broken:
    steps:
      - {name: only, action: no_such_action, pool: test}
  dropped:
    steps:
      - {name: list, action: list_files, pool: test, params: {dir: "{case_dir}"}}
)";

class Cases : public ::testing::Test {
 protected:
  void start(unsigned workers = 1, unsigned slots = 4, const std::string& broker_yaml = "") {
    sys_ = std::make_unique<System>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    sys_->set_broker_yaml(broker_yaml);
    marker_ = (sys_->dir() / "marker").string();
    sys_->start_conductor(kWorkflows);
    for (unsigned i = 1; i <= workers; ++i) start_worker("w" + std::to_string(i), slots);
  }
  testing::ChildProcess& start_worker(const std::string& id, unsigned slots = 4, bool drain = false,
                                      const std::string& extra_yaml = "", const std::string& heartbeat = "300ms") {
    const std::string actions = "actions:\n  mark:\n    argv: [\"" + std::string(BATON_SOURCE_DIR) +
                                "/tests/integration/fixtures/mark.sh\", \"" + marker_ +
                                "\", \"{case_id}\", \"{step}\", \"{attempt}\", \"{fail_until}\", \"{nap}\"]\n"
                                "    params:\n      fail_until: {type: integer, min: 0, max: 100, default: \"1\"}\n"
                                "      nap: {type: integer, min: 0, max: 600}\n"
                                "  list_files:\n    argv: [find, \"{dir}\", -type, f]\n"
                                "    params:\n      dir: {type: string, pattern: \"/.*\"}\n" +
                                extra_yaml;
    auto& process = sys_->start_worker(id, heartbeat, "[test]", actions, slots,
                                       drain ? std::vector<std::string>{"--drain"} : std::vector<std::string>{});
    EXPECT_TRUE(eventually([&] { return sys_->worker(id)["status"] == "online"; }, 15s)) << id << " not online";
    workers_[id] = &process;
    return process;
  }
  // Every case COMPLETED within `limit`, and each of their steps ran exactly once.
  void expect_all_completed_each_step_once(int cases, int steps, std::chrono::seconds limit) {
    ASSERT_TRUE(eventually(
        [&] {
          auto done = sys_->api("/api/v1/cases?status=COMPLETED&limit=1000");
          return done.is_object() && done["cases"].size() == static_cast<size_t>(cases);
        },
        limit))
        << sys_->api("/api/v1/cases?limit=5").dump(1);
    for (const auto& [line, count] : marks()) EXPECT_EQ(count, 1) << line;
    EXPECT_EQ(marks().size(), static_cast<size_t>(cases * steps));
  }
  nlohmann::json submit(const std::string& id, const std::string& workflow, nlohmann::json params = nlohmann::json::object()) {
    int status = 0;
    auto res = sys_->api_post("/api/v1/cases", {{"id", id}, {"workflow", workflow}, {"params", params}}, &status);
    EXPECT_EQ(status, 201) << res.dump();
    return res;
  }
  nlohmann::json get(const std::string& id) { return sys_->api("/api/v1/cases/" + id); }
  std::string status(const std::string& id) {
    auto c = get(id);
    return c.is_object() && c.contains("status") ? c["status"].get<std::string>() : "";
  }
  // "case step attempt" lines the jobs wrote, counted.
  std::map<std::string, int> marks() {
    std::ifstream in(marker_);
    std::map<std::string, int> out;
    std::string line;
    while (std::getline(in, line)) out[line]++;
    return out;
  }
  bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0; }
  pid_t recorded_pid(const std::string& case_id) {
    std::ifstream in(marker_ + "." + case_id + ".pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  // A three-second step running on w1, and when w1 last changed status.
  struct Napping {
    pid_t napper = 0;
    std::string online_since;
  };
  Napping start_napping(const std::string& id) {
    submit(id, "slow", {{"nap", "3"}});
    EXPECT_TRUE(eventually([&] { return status(id) == "EXECUTING" && recorded_pid(id) > 0; }, 30s));
    return {recorded_pid(id), sys_->worker("w1")["status_changed_at"]};
  }
  // It completed in its one attempt and w1 was never called offline.
  void expect_finished_once_on_a_worker_never_offline(const std::string& id, const Napping& n) {
    ASSERT_TRUE(eventually([&] { return status(id) == "COMPLETED"; }, 60s)) << get(id).dump(1);
    const auto c = get(id);
    ASSERT_EQ(c["attempts"].size(), 1u) << c.dump(1);
    EXPECT_EQ(c["attempts"][0]["status"], "SUCCEEDED");
    const auto w = sys_->worker("w1");
    EXPECT_EQ(w["status"], "online");
    EXPECT_EQ(w["status_changed_at"], n.online_since) << "never called offline: " << w.dump(1);
  }

  std::unique_ptr<System> sys_;
  std::string marker_;
  std::map<std::string, testing::ChildProcess*> workers_;
};

TEST_F(Cases, TwoHundredThreeStepCasesOverTwoWorkersAllCompleteOnce) {
  start(2, 4);
  constexpr int kCases = 200;
  for (int i = 0; i < kCases; ++i) submit("bulk-" + std::to_string(i), "three");
  ASSERT_TRUE(eventually(
      [&] {
        auto done = sys_->api("/api/v1/cases?status=COMPLETED&limit=1000");
        return done.is_object() && done["cases"].size() == kCases;
      },
      240s))
      << sys_->api("/api/v1/cases?limit=5").dump(1);

  const auto m = marks();
  EXPECT_EQ(m.size(), static_cast<size_t>(kCases * 3));
  for (const auto& [line, count] : m) EXPECT_EQ(count, 1) << line;
  // Both workers took part; which cases each ran is up to timing.
  std::map<std::string, int> attempts_by_worker;
  for (int i = 0; i < kCases; ++i) {
    const auto c = get("bulk-" + std::to_string(i));
    ASSERT_EQ(c["attempts"].size(), 3u) << c.dump(1);
    for (const auto& a : c["attempts"]) {
      EXPECT_EQ(a["status"], "SUCCEEDED");
      attempts_by_worker[a["worker_id"]]++;
    }
    if (i % 37 != 0) continue;
    std::vector<std::string> statuses;
    for (const auto& h : c["history"]) statuses.push_back(h["status"]);
    EXPECT_EQ(statuses.front(), "QUEUED");
    EXPECT_EQ(statuses.back(), "COMPLETED");
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "EXECUTING"), 3) << c.dump(1);
  }
  EXPECT_EQ(attempts_by_worker.size(), 2u);
  EXPECT_GT(attempts_by_worker["w1"], 0);
  EXPECT_GT(attempts_by_worker["w2"], 0);

  // Every job start is counted once, whichever event reported it.
  http::Request req;
  req.url = sys_->url() + "/metrics";
  auto res = http::fetch(req);
  ASSERT_TRUE(res.ok());
  double starts = 0;
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("baton_steps_started_total{", 0) == 0) starts += std::stod(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(starts, kCases * 3) << res->body.substr(0, 2000);
}

TEST_F(Cases, AFlakyStepSucceedsOnItsThirdAttemptAndAHopelessOneFails) {
  start();
  submit("flaky-ok", "flaky", {{"fail_until", "3"}});
  submit("flaky-bad", "flaky", {{"fail_until", "9"}});
  ASSERT_TRUE(eventually([&] { return status("flaky-ok") == "COMPLETED" && status("flaky-bad") == "FAILED"; }, 60s))
      << get("flaky-ok").dump(1) << get("flaky-bad").dump(1);
  EXPECT_EQ(get("flaky-ok")["attempts"].size(), 3u);
  const auto bad = get("flaky-bad");
  EXPECT_NE(bad["message"].get<std::string>().find("failed after 3 attempts"), std::string::npos) << bad.dump(1);
  EXPECT_NE(bad["attempts"][2]["output_tail"].get<std::string>().find("fails on purpose"), std::string::npos);
}

TEST_F(Cases, CancelAndTimeoutKillTheWholeProcessTree) {
  start();
  submit("to-cancel", "slow", {{"nap", "300"}});
  ASSERT_TRUE(eventually([&] { return status("to-cancel") == "EXECUTING" && recorded_pid("to-cancel") > 0; }, 30s));
  const pid_t napper = recorded_pid("to-cancel");
  EXPECT_TRUE(process_alive(napper));
  int code = 0;
  sys_->api_post("/api/v1/cases/to-cancel/cancel", {{"reason", "wrong plan"}}, &code);
  EXPECT_EQ(code, 202);
  ASSERT_TRUE(eventually([&] { return status("to-cancel") == "CANCELLED"; }, 30s)) << get("to-cancel").dump(1);
  EXPECT_TRUE(eventually([&] { return !process_alive(napper); }, 10s));

  // The step's timeout is 4 s; the worker kills the tree and says why.
  submit("too-slow", "slow", {{"nap", "300"}});
  ASSERT_TRUE(eventually([&] { return status("too-slow") == "FAILED"; }, 60s)) << get("too-slow").dump(1);
  EXPECT_EQ(get("too-slow")["attempts"][0]["status"], "TIMED_OUT");
  EXPECT_TRUE(eventually([&] { return !process_alive(recorded_pid("too-slow")); }, 10s));
}

// While the broker is away the conductor hears no one: its workers are not
// called offline for that, and the case they run is not taken from them.
TEST_F(Cases, ABrokerOutageTakesNoCaseFromAWorkerThatKeptRunningIt) {
  start();
  const Napping n = start_napping("outage");
  ASSERT_GT(n.napper, 0);

  ASSERT_EQ(testing::broker_ctl({"stop_app"}), 0);
  ASSERT_TRUE(eventually([&] { return sys_->api("/health")["components"]["broker"]["status"] == "down"; }, 20s));
  // The job ends while nobody can hear about it; the outage outlasts the
  // conductor's offline deadline (5 x 300 ms) by the broker's start-up.
  ASSERT_TRUE(eventually([&] { return !process_alive(n.napper); }, 10s));
  ASSERT_EQ(testing::broker_ctl({"start_app"}), 0);

  expect_finished_once_on_a_worker_never_offline("outage", n);
  EXPECT_EQ(marks().size(), 1u) << "the step ran once";
}

// With persistent_messages off a broker restart drops every command and
// event it held. Here the conductor is down meanwhile, so the results of the
// steps that were running wait in its queue and are lost for certain: the
// workers report them again from their job stores when asked.
TEST_F(Cases, WithoutPersistentMessagesABrokerRestartLosesNoStepAndRunsNoneTwice) {
  start(2, 2, "  persistent_messages: false\n");
  constexpr int kCases = 30;
  for (int i = 0; i < kCases; ++i) submit("t-" + std::to_string(i), "three");
  ASSERT_TRUE(eventually([&] { return marks().size() >= 15; }, 60s));
  sys_->conductor().signal(SIGKILL);
  ASSERT_TRUE(sys_->conductor().wait_exit(10s).has_value());
  const std::string vhost = sys_->broker().vhost;
  // The jobs the workers hold end while the conductor is down, so their
  // results wait for it (transient, as RabbitTransport's test shows) and the
  // restart drops them.
  auto jobs_not_finished = [&] {
    int64_t n = 0;
    for (const auto& [id, process] : workers_) {
      auto db = sqlite::Database::open((sys_->dir() / ("state-" + id) / "jobs.db").string(), true);
      if (!db) return int64_t{-1};
      auto count = db->prepare("SELECT COUNT(*) FROM jobs WHERE state != 'finished'");
      if (!count) return int64_t{-1};
      if (auto row = (*count)->step(); !row || !*row) return int64_t{-1};
      n += (*count)->column_int(0);
    }
    return n;
  };
  ASSERT_TRUE(eventually([&] { return jobs_not_finished() == 0; }, 30s));
  ASSERT_TRUE(eventually([&] { return testing::queue_depth(vhost, "baton.conductor") > 0; }, 20s));
  // Held still across the restart, so nothing they send refills the queue.
  for (const auto& [id, process] : workers_) process->signal(SIGSTOP);
  ASSERT_EQ(testing::broker_ctl({"stop_app"}), 0);
  ASSERT_EQ(testing::broker_ctl({"start_app"}), 0);
  nlohmann::json left;
  ASSERT_TRUE(eventually([&] { return (left = testing::take_messages(vhost, "baton.conductor", 10)).is_array(); }, 20s))
      << left.dump();
  EXPECT_EQ(left.size(), 0u) << "the restart dropped what waited: " << left.dump().substr(0, 500);
  for (const auto& [id, process] : workers_) process->signal(SIGCONT);
  sys_->start_conductor();
  expect_all_completed_each_step_once(kCases, 3, 120s);
}

// A conductor that was held up (here stopped outright, as a long fsync or a
// descheduled VM would) reads the heartbeats that waited for it before it
// judges anyone's silence.
TEST_F(Cases, AConductorHeldUpLongerThanTheOfflineDeadlineCallsNoWorkerOffline) {
  start();
  const Napping n = start_napping("held-up");
  ASSERT_GT(n.napper, 0);

  sys_->conductor().signal(SIGSTOP);
  const bool job_ended = eventually([&] { return !process_alive(n.napper); }, 10s);  // 3 s, over the 1.5 s deadline
  sys_->conductor().signal(SIGCONT);
  ASSERT_TRUE(job_ended);

  expect_finished_once_on_a_worker_never_offline("held-up", n);
}

TEST_F(Cases, AnUnknownActionIsRefusedByTheWorkerWithTheReason) {
  start();
  submit("broken-1", "broken");
  ASSERT_TRUE(eventually([&] { return status("broken-1") == "FAILED"; }, 30s)) << get("broken-1").dump(1);
  EXPECT_NE(get("broken-1")["message"].get<std::string>().find("no_such_action"), std::string::npos)
      << get("broken-1").dump(1);
  int code = 0;
  sys_->api_post("/api/v1/cases", {{"workflow", "nope"}}, &code);
  EXPECT_EQ(code, 400);
}

TEST_F(Cases, ConductorKilledMidRunCarriesOnWithoutRunningAnAttemptTwice) {
  start(2, 2);
  constexpr int kCases = 40;
  for (int i = 0; i < kCases; ++i) submit("k-" + std::to_string(i), "three");
  ASSERT_TRUE(eventually([&] { return marks().size() >= 20; }, 60s));
  sys_->conductor().signal(SIGKILL);
  sys_->conductor().wait_exit(10s);
  sys_->start_conductor();
  expect_all_completed_each_step_once(kCases, 3, 180s);
}

TEST_F(Cases, CasesOfAKilledWorkerFinishOnTheOtherOne) {
  start(1, 2);
  submit("orphan-1", "slow", {{"nap", "1"}});
  submit("orphan-2", "slow", {{"nap", "1"}});
  ASSERT_TRUE(eventually([&] { return status("orphan-1") == "EXECUTING" && status("orphan-2") == "EXECUTING"; }, 30s));
  // Killed first: the other worker must not be there to finish them early.
  workers_["w1"]->signal(SIGKILL);
  start_worker("w2", 2);
  ASSERT_TRUE(eventually([&] { return status("orphan-1") == "COMPLETED" && status("orphan-2") == "COMPLETED"; }, 60s))
      << get("orphan-1").dump(1);
  for (auto id : {"orphan-1", "orphan-2"}) {
    const auto attempts = get(id)["attempts"];
    ASSERT_EQ(attempts.size(), 2u) << get(id).dump(1);
    EXPECT_EQ(attempts[0]["worker_id"], "w1");
    EXPECT_EQ(attempts[0]["status"], "LOST");
    EXPECT_EQ(attempts[1]["worker_id"], "w2");
    EXPECT_EQ(attempts[1]["status"], "SUCCEEDED");
  }
}

TEST_F(Cases, ADrainingWorkerFinishesItsJobBeforeItExits) {
  start(0);
  auto& worker = start_worker("w1", 2, true);
  submit("drained", "slow", {{"nap", "2"}});
  ASSERT_TRUE(eventually([&] { return status("drained") == "EXECUTING"; }, 30s));
  worker.signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return sys_->worker("w1")["status"] == "draining"; }, 10s));
  ASSERT_EQ(worker.wait_exit(60s), 0) << worker.output();
  ASSERT_TRUE(eventually([&] { return status("drained") == "COMPLETED"; }, 10s)) << get("drained").dump(1);
  const auto attempts = get("drained")["attempts"];
  ASSERT_EQ(attempts.size(), 1u) << "the job's result arrived before the worker left";
  EXPECT_EQ(attempts[0]["status"], "SUCCEEDED");
  EXPECT_TRUE(eventually([&] { return sys_->worker("w1")["status"] == "offline"; }, 10s));
}

TEST_F(Cases, TheIntakeQueueTakesJsonAnswersOnReplyToAndDeadLettersRefusals) {
  start();
  const auto vhost = sys_->broker().vhost;
  testing::declare_queue(vhost, "script.replies");
  testing::mgmt_publish(vhost, "", "baton.intake",
                        R"({"submit_case":{"case_id":"from-queue","workflow":"flaky","params":{"fail_until":"1"}}})",
                        "application/json", {{"reply_to", "script.replies"}, {"correlation_id", "req-1"}});
  ASSERT_TRUE(eventually([&] { return status("from-queue") == "COMPLETED"; }, 30s)) << get("from-queue").dump(1);

  testing::mgmt_publish(vhost, "", "baton.intake", R"({"submit_case":{"case_id":"bad","workflow":"nope"}})",
                        "application/json", {{"reply_to", "script.replies"}, {"correlation_id", "req-2"}});
  ASSERT_TRUE(eventually([&] { return testing::queue_depth(vhost, "script.replies") == 2; }, 20s));
  const auto replies = testing::take_messages(vhost, "script.replies", 2);
  std::map<std::string, nlohmann::json> by_request;
  for (const auto& r : replies)
    by_request[r["properties"]["correlation_id"]] = nlohmann::json::parse(r["payload"].get<std::string>());
  EXPECT_EQ(by_request["req-1"]["intake_reply"]["accepted"], true) << by_request["req-1"].dump();
  EXPECT_EQ(by_request["req-1"]["intake_reply"]["case_id"], "from-queue");
  EXPECT_EQ(by_request["req-2"]["intake_reply"]["accepted"], false);
  EXPECT_NE(by_request["req-2"]["intake_reply"]["reason"].get<std::string>().find("unknown workflow"),
            std::string::npos);

  ASSERT_TRUE(eventually([&] { return testing::queue_depth(vhost, "baton.dead") == 1; }, 20s));
  const auto dead = testing::take_messages(vhost, "baton.dead", 1);
  EXPECT_NE(dead[0]["properties"]["headers"]["x-baton-reason"].get<std::string>().find("unknown workflow"),
            std::string::npos);
}

TEST_F(Cases, ARestartedWorkerReadoptsItsJobsAndTheirExitStatusIsNotLost) {
  start(0);
  // SIGKILL: no goodbye. The worker is back well inside the 5 s offline window.
  auto* worker = &start_worker("w1", 2, false, "", "1s");
  submit("survivor", "slow", {{"nap", "3"}});
  ASSERT_TRUE(eventually([&] { return status("survivor") == "EXECUTING" && recorded_pid("survivor") > 0; }, 30s));
  worker->signal(SIGKILL);
  worker->wait_exit(5s);
  EXPECT_TRUE(process_alive(recorded_pid("survivor"))) << "the job outlives its worker";
  worker = &start_worker("w1", 2, false, "", "1s");
  ASSERT_TRUE(eventually([&] { return status("survivor") == "COMPLETED"; }, 30s)) << get("survivor").dump(1);

  // SIGTERM: the job ends while the worker is away; its exit is reported on return.
  submit("finished-alone", "slow", {{"nap", "3"}});  // outlasts the SIGTERM below
  ASSERT_TRUE(eventually([&] { return status("finished-alone") == "EXECUTING" && recorded_pid("finished-alone") > 0; },
                         30s));
  worker->signal(SIGTERM);
  ASSERT_EQ(worker->wait_exit(20s), 0);
  ASSERT_TRUE(eventually([&] { return !process_alive(recorded_pid("finished-alone")); }, 20s));
  EXPECT_EQ(status("finished-alone"), "EXECUTING") << "nobody has reported the exit yet";
  start_worker("w1", 2, false, "", "1s");
  ASSERT_TRUE(eventually([&] { return status("finished-alone") == "COMPLETED"; }, 30s)) << get("finished-alone").dump(1);

  for (const char* id : {"survivor", "finished-alone"}) {
    const auto attempts = get(id)["attempts"];
    ASSERT_EQ(attempts.size(), 1u) << get(id).dump(1);
    EXPECT_EQ(attempts[0]["status"], "SUCCEEDED");
  }
  for (const auto& [line, count] : marks()) EXPECT_EQ(count, 1) << line;
}

TEST_F(Cases, ADroppedDirectoryBecomesACaseOnceStableAndNeverTwice) {
  start(0);
  const auto incoming = sys_->dir() / "incoming";
  std::filesystem::create_directories(incoming);
  const std::string intake = "intake:\n  drop:\n    dir: " + incoming.string() +
                             "\n    workflow: dropped\n    stable_for: 3s\n    scan_interval: 100ms\n";
  auto* worker = &start_worker("w1", 2, false, intake);

  // A slow copy: the directory changes every 400 ms for 3.6 s, longer than
  // stable_for, and must not become a case meanwhile (a gap between two
  // writes has 2.6 s of slack for a loaded machine).
  std::filesystem::create_directories(incoming / "plan-a");
  for (int i = 0; i < 9; ++i) {
    std::ofstream(incoming / "plan-a" / "ct.dcm", std::ios::app) << "slice " << i << "\n";
    if (i == 3) std::ofstream(incoming / "plan-a" / "rtplan.dcm") << "plan";
    int code = 0;
    sys_->api("/api/v1/cases/drop-plan-a", &code);
    EXPECT_EQ(code, 404) << "submitted while still being copied (write " << i << ")";
    std::this_thread::sleep_for(400ms);  // the pace of the copy being simulated
  }
  ASSERT_TRUE(eventually([&] { return status("drop-plan-a") == "COMPLETED"; }, 30s)) << get("drop-plan-a").dump(1);
  const std::string listed = get("drop-plan-a")["attempts"][0]["output_tail"];
  EXPECT_NE(listed.find("ct.dcm"), std::string::npos) << listed;
  EXPECT_NE(listed.find("rtplan.dcm"), std::string::npos) << listed;

  worker->signal(SIGTERM);
  ASSERT_EQ(worker->wait_exit(20s), 0);
  start_worker("w1", 2, false, intake);
  std::filesystem::create_directories(incoming / "plan-b");
  std::ofstream(incoming / "plan-b" / "ct.dcm") << "slice";
  ASSERT_TRUE(eventually([&] { return status("drop-plan-b") == "COMPLETED"; }, 30s)) << get("drop-plan-b").dump(1);

  std::ifstream log(sys_->dir() / "worker-w1.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  size_t submissions = 0;
  for (size_t at = 0; (at = text.find("submitting case drop-plan-a", at)) != std::string::npos; ++at) ++submissions;
  EXPECT_EQ(submissions, 1u) << "the restarted worker must not submit plan-a again";
  EXPECT_EQ(sys_->api("/api/v1/cases?limit=100")["cases"].size(), 2u);
}

}  // namespace
}  // namespace baton
