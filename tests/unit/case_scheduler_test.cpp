#include <gtest/gtest.h>

#include "common/amqp/fake_transport.hpp"
#include "common/codec/envelope_codec.hpp"
#include "conductor/core/case_scheduler.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

class CaseSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(ConductorStore::open(":memory:").value());
    registry_ = std::make_unique<WorkerRegistry>(*store_, clock_, WorkersConfig{});
    ASSERT_TRUE(registry_->load().ok());

    WorkflowDefinition dose;
    dose.name = "dose";
    StepDefinition prepare{"prepare", "prep", "cpu", 1, 0, 60s, {}, {{"plan", "{plan}"}}};
    StepDefinition simulate{"simulate", "mc", "gpu", 1, 1, 600s, {3, 10s, 60s}, {{"plan", "{plan}"}, {"n", "{histories}"}}};
    StepDefinition report{"report", "report", "cpu", 1, 0, 60s, {}, {}};
    dose.steps = {prepare, simulate, report};
    workflows_["dose"] = dose;
    WorkflowDefinition single;
    single.name = "single";
    single.steps = {StepDefinition{"only", "run", "cpu", 1, 0, 60s, {2, 5s, 60s}, {}}};
    workflows_["single"] = single;
    WorkflowDefinition render;
    render.name = "render";
    render.steps = {StepDefinition{"render", "render", "gpu", 1, 1, 60s, {}, {}}};
    workflows_["render"] = render;
    make_scheduler();
  }

  void make_scheduler(CasesConfig config = {}) {
    scheduler_ = std::make_unique<CaseScheduler>(*store_, transport_, *registry_, clock_, workflows_, config,
                                                 [this](CaseScheduler::Reaction react) { reacted_.push_back(react()); });
    registry_->set_status_listener([this](const WorkerRecord& w) { ASSERT_TRUE(scheduler_->on_worker_status(w).ok()); });
    ASSERT_TRUE(scheduler_->load().ok());
  }

  void add_worker(const std::string& id, std::vector<std::string> labels, unsigned slots, unsigned gpus) {
    v1::WorkerRegister r;
    r.set_worker_id(id);
    r.set_slots(slots);
    r.set_heartbeat_interval_ms(1000);
    for (auto& l : labels) r.add_labels(l);
    for (unsigned i = 0; i < gpus; ++i) r.add_gpus()->set_index(i);
    ASSERT_TRUE(registry_->on_register(r).ok());
  }

  Result<SubmitOutcome> submit(const std::string& id, const std::string& wf, std::map<std::string, std::string> params,
                               int priority = 0) {
    v1::SubmitCase s;
    s.set_case_id(id);
    s.set_workflow(wf);
    s.set_priority(priority);
    for (auto& [k, v] : params) (*s.mutable_params())[k] = v;
    return scheduler_->submit(s);
  }

  // What the scheduler published, once its batch is committed.
  std::vector<amqp::FakeTransport::Published> published() {
    EXPECT_TRUE(store_->commit_batch().ok());
    scheduler_->release_outbox();
    return transport_.published();
  }

  // The RunStep commands published so far, decoded, with their routing keys.
  std::vector<std::pair<std::string, v1::RunStep>> run_steps() {
    std::vector<std::pair<std::string, v1::RunStep>> out;
    for (const auto& p : published()) {
      auto e = codec::decode(p.message.body, p.message.content_type);
      if (e && e->has_run_step()) out.emplace_back(p.message.routing_key, e->run_step());
    }
    return out;
  }
  std::vector<v1::CancelStep> cancels() {
    std::vector<v1::CancelStep> out;
    for (const auto& p : published()) {
      auto e = codec::decode(p.message.body, p.message.content_type);
      if (e && e->has_cancel_step()) out.push_back(e->cancel_step());
    }
    return out;
  }

  v1::StepRef ref(const std::string& case_id, const std::string& worker) {
    const CaseRecord* c = scheduler_->find_active(case_id);
    v1::StepRef r;
    r.set_case_id(case_id);
    r.set_step_index(c ? c->current_step : 0);
    r.set_attempt(c ? c->attempt : 0);
    r.set_worker_id(worker);
    return r;
  }
  void started(const std::string& case_id, const std::string& worker) {
    v1::StepStarted e;
    *e.mutable_step() = ref(case_id, worker);
    e.set_pid(4242);
    ASSERT_TRUE(scheduler_->on_step_started(e).ok());
  }
  void finished(const std::string& case_id, const std::string& worker,
                v1::StepFinished::Outcome outcome = v1::StepFinished::SUCCEEDED, const std::string& message = "") {
    v1::StepFinished e;
    *e.mutable_step() = ref(case_id, worker);
    e.set_outcome(outcome);
    e.set_message(message);
    e.set_exit_code(outcome == v1::StepFinished::SUCCEEDED ? 0 : 3);
    ASSERT_TRUE(scheduler_->on_step_finished(e).ok());
  }
  // A worker heartbeat that lists the given running steps (the job heartbeat).
  void heartbeat(const std::string& worker, const std::vector<v1::StepRef>& running) {
    v1::WorkerHeartbeat hb;
    hb.set_worker_id(worker);
    hb.set_heartbeat_interval_ms(1000);
    for (const auto& r : running) *hb.add_running() = r;
    ASSERT_TRUE(registry_->on_heartbeat(hb).ok());
    ASSERT_TRUE(scheduler_->on_job_heartbeat(hb).ok());
  }
  // Case c1 of the one-step workflow running on w1, with job heartbeats
  // expected every 30 s.
  void run_c1_with_job_heartbeats(CasesConfig config = {}, unsigned slots = 1) {
    config.job_heartbeat_timeout = 30s;
    make_scheduler(config);
    add_worker("w1", {"cpu"}, slots, 0);
    ASSERT_TRUE(submit("c1", "single", {}).ok());
    started("c1", "w1");
  }
  // w1 says goodbye, leaving its jobs running under their supervisors.
  void stop_w1_leaving_jobs() {
    v1::WorkerStopping bye;
    bye.set_worker_id("w1");
    bye.set_jobs_left_running(true);
    ASSERT_TRUE(registry_->on_stopping(bye).ok());
  }
  CaseRecord stored(const std::string& id) { return store_->find_case(id).value().value(); }

  ManualClock clock_;
  amqp::FakeTransport transport_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<WorkerRegistry> registry_;
  std::map<std::string, WorkflowDefinition> workflows_;
  std::unique_ptr<CaseScheduler> scheduler_;
  // What the reactions the scheduler posted returned, in order.
  std::vector<Status> reacted_;
};

TEST_F(CaseSchedulerTest, SubmissionsAreCheckedAgainstTheWorkflow) {
  auto unknown = submit("c1", "nope", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::invalid_argument);
  EXPECT_NE(unknown.error().message.find("known: dose, render, single"), std::string::npos) << unknown.error().message;

  auto missing = submit("c1", "dose", {{"plan", "p1"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("needs parameter 'histories'"), std::string::npos);

  auto extra = submit("c1", "dose", {{"plan", "p1"}, {"histories", "10"}, {"typo", "x"}});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().message.find("unknown parameter 'typo'"), std::string::npos);
  EXPECT_FALSE(store_->find_case("c1")->has_value());
}

TEST_F(CaseSchedulerTest, SubmissionIsIdempotentOnTheCaseId) {
  ASSERT_TRUE(submit("c1", "single", {}).value().created);
  auto again = submit("c1", "single", {});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  auto other = submit("c1", "dose", {{"plan", "p"}, {"histories", "1"}});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::conflict);
}

TEST_F(CaseSchedulerTest, WaitsForCapacityAndIsPlacedWhenAWorkerArrives) {
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::queued);
  EXPECT_NE(stored("c1").message.find("waiting for capacity in pool cpu"), std::string::npos) << stored("c1").message;
  EXPECT_TRUE(run_steps().empty());

  add_worker("w1", {"cpu"}, 2, 0);
  ASSERT_EQ(run_steps().size(), 1u);
  EXPECT_EQ(run_steps()[0].first, "worker.w1");
  EXPECT_EQ(stored("c1").status, CaseStatus::processing);
  EXPECT_EQ(stored("c1").worker_id, "w1");
}

// A long queue behind a full pool: cases are placed in FIFO order as slots
// free up, each one waits with its reason, and a case for another pool with
// room is not held up behind them.
TEST_F(CaseSchedulerTest, ALongQueueDrainsInOrderAndOtherPoolsAreNotHeldUp) {
  add_worker("w1", {"cpu"}, 1, 0);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(submit("q" + std::to_string(100 + i), "single", {}).ok());
  ASSERT_TRUE(submit("g1", "dose", {{"plan", "p"}, {"histories", "1"}}).ok());
  add_worker("g-host", {"gpu"}, 1, 1);
  ASSERT_EQ(run_steps().size(), 1u);
  EXPECT_EQ(run_steps()[0].second.case_id(), "q100");
  for (int i = 1; i < 40; ++i) {
    const auto& record = stored("q" + std::to_string(100 + i));
    EXPECT_EQ(record.status, CaseStatus::queued);
    EXPECT_NE(record.message.find("waiting for capacity in pool cpu"), std::string::npos) << record.message;
  }
  // g1's first step is in pool cpu too: it waits its turn behind the queue.
  EXPECT_EQ(stored("g1").status, CaseStatus::queued);
  ASSERT_TRUE(submit("r1", "render", {}).ok());
  EXPECT_EQ(run_steps().back().first, "worker.g-host");
  EXPECT_EQ(run_steps().back().second.case_id(), "r1");
  started("r1", "g-host");
  finished("r1", "g-host");
  for (int i = 0; i < 40; ++i) {
    const std::string id = "q" + std::to_string(100 + i);
    if (i > 0) {
      ASSERT_EQ(run_steps().back().second.case_id(), id);
    }
    started(id, "w1");
    finished(id, "w1");
  }
  // Its cpu step ran last; its gpu step goes to the gpu host at once.
  ASSERT_EQ(run_steps().back().second.case_id(), "g1");
  started("g1", "w1");
  finished("g1", "w1");
  EXPECT_EQ(run_steps().back().first, "worker.g-host");
}

TEST_F(CaseSchedulerTest, AWorkflowRunsItsStepsInOrderWithParametersAndGpus) {
  add_worker("cpu1", {"cpu"}, 4, 0);
  add_worker("gpu1", {"gpu"}, 4, 2);
  ASSERT_TRUE(submit("c1", "dose", {{"plan", "P-17"}, {"histories", "1000"}}).ok());

  ASSERT_EQ(run_steps().size(), 1u);
  EXPECT_EQ(run_steps()[0].second.action(), "prep");
  EXPECT_EQ(run_steps()[0].second.params().at("plan"), "P-17");
  started("c1", "cpu1");
  EXPECT_EQ(stored("c1").status, CaseStatus::executing);
  finished("c1", "cpu1");

  const auto sent = run_steps();
  ASSERT_EQ(sent.size(), 2u);
  const auto& [key, simulate] = sent[1];
  EXPECT_EQ(key, "worker.gpu1");
  EXPECT_EQ(simulate.step_name(), "simulate");
  EXPECT_EQ(simulate.params().at("n"), "1000");
  EXPECT_EQ(simulate.gpus_size(), 1);
  EXPECT_EQ(simulate.attempt(), 1u);
  started("c1", "gpu1");
  finished("c1", "gpu1");
  started("c1", "cpu1");
  finished("c1", "cpu1");

  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
  EXPECT_EQ(scheduler_->active_count(), 0u);
  auto history = store_->case_history("c1").value();
  std::vector<CaseStatus> statuses;
  for (auto& h : history) statuses.push_back(h.status);
  EXPECT_EQ(statuses, (std::vector<CaseStatus>{CaseStatus::queued, CaseStatus::processing, CaseStatus::executing,
                                               CaseStatus::processing, CaseStatus::executing, CaseStatus::processing,
                                               CaseStatus::executing, CaseStatus::completed}));
  auto attempts = store_->step_attempts("c1").value();
  ASSERT_EQ(attempts.size(), 3u);
  for (auto& a : attempts) EXPECT_EQ(a.status, AttemptStatus::succeeded);
}

TEST_F(CaseSchedulerTest, GpusAreNeverSharedAndWaitingCasesFollowPriorityThenFifo) {
  add_worker("cpu1", {"cpu"}, 8, 0);
  add_worker("gpu1", {"gpu"}, 8, 1);
  for (auto id : {"a", "b"}) {
    ASSERT_TRUE(submit(id, "dose", {{"plan", id}, {"histories", "1"}}).ok());
    started(id, "cpu1");
    finished(id, "cpu1");
  }
  // a holds the only GPU; b waits for it.
  EXPECT_EQ(stored("a").worker_id, "gpu1");
  EXPECT_EQ(stored("b").status, CaseStatus::queued);
  ASSERT_TRUE(submit("urgent", "dose", {{"plan", "u"}, {"histories", "1"}}, 10).ok());
  started("urgent", "cpu1");
  finished("urgent", "cpu1");
  EXPECT_EQ(stored("urgent").status, CaseStatus::queued);

  started("a", "gpu1");
  finished("a", "gpu1");
  EXPECT_EQ(stored("urgent").worker_id, "gpu1") << "higher priority first";
  EXPECT_EQ(stored("b").status, CaseStatus::queued);
}

TEST_F(CaseSchedulerTest, FailedAttemptsAreRetriedWithBackoffUntilOneSucceeds) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  finished("c1", "w1", v1::StepFinished::FAILED, "exit 3");
  EXPECT_EQ(stored("c1").status, CaseStatus::queued);
  EXPECT_NE(stored("c1").message.find("retry 2 of 2 in 5 s"), std::string::npos) << stored("c1").message;
  clock_.advance(4s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(run_steps().size(), 1u) << "not before the back-off";
  clock_.advance(1s);
  ASSERT_TRUE(scheduler_->tick().ok());
  ASSERT_EQ(run_steps().size(), 2u);
  EXPECT_EQ(run_steps()[1].second.attempt(), 2u);
  finished("c1", "w1");
  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
}

TEST_F(CaseSchedulerTest, ACaseThatExhaustsItsRetriesFailsWithTheReason) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  finished("c1", "w1", v1::StepFinished::FAILED, "exit 3");
  clock_.advance(5s);
  ASSERT_TRUE(scheduler_->tick().ok());
  finished("c1", "w1", v1::StepFinished::TIMED_OUT, "killed after timeout 60000 ms");
  const auto c = stored("c1");
  EXPECT_EQ(c.status, CaseStatus::failed);
  EXPECT_NE(c.message.find("failed after 2 attempts: killed after timeout"), std::string::npos) << c.message;
  // A manual retry starts a fresh budget where it stopped.
  ASSERT_TRUE(scheduler_->retry("c1").ok());
  ASSERT_EQ(run_steps().size(), 3u);
  EXPECT_EQ(run_steps()[2].second.attempt(), 3u);
  EXPECT_EQ(scheduler_->retry("c1").error().code, Errc::conflict);
}

TEST_F(CaseSchedulerTest, CancelStopsARunningStepThroughItsWorker) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("queued-only", "dose", {{"plan", "x"}, {"histories", "1"}}).ok());
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  started("queued-only", "w1");
  // c1 waits behind queued-only: cancelling it needs no worker.
  ASSERT_TRUE(scheduler_->cancel("c1", "operator changed plan").ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::cancelled);

  ASSERT_TRUE(scheduler_->cancel("queued-only", "wrong plan").ok());
  ASSERT_EQ(cancels().size(), 1u);
  EXPECT_EQ(cancels()[0].case_id(), "queued-only");
  EXPECT_EQ(stored("queued-only").status, CaseStatus::executing) << "until the worker confirms";
  finished("queued-only", "w1", v1::StepFinished::CANCELLED, "cancelled: wrong plan");
  EXPECT_EQ(stored("queued-only").status, CaseStatus::cancelled);
  EXPECT_EQ(scheduler_->cancel("queued-only", "").error().code, Errc::conflict);
  EXPECT_EQ(scheduler_->cancel("nobody", "").error().code, Errc::not_found);
}

TEST_F(CaseSchedulerTest, ALostWorkersStepMovesToAnotherWorkerWithoutUsingItsRetries) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  started("c1", "w1");
  add_worker("w2", {"cpu"}, 1, 0);
  clock_.advance(10s);
  ASSERT_TRUE(registry_->on_heartbeat([] {
                 v1::WorkerHeartbeat h;
                 h.set_worker_id("w2");
                 h.set_sequence(1);
                 h.set_heartbeat_interval_ms(1000);
                 return h;
               }())
                  .ok());
  ASSERT_TRUE(registry_->sweep().ok());  // w1 is silent: offline

  ASSERT_EQ(run_steps().size(), 2u);
  EXPECT_EQ(run_steps()[1].first, "worker.w2");
  EXPECT_EQ(store_->step_attempts("c1").value()[0].status, AttemptStatus::lost);
  // The lost attempt did not count: the second attempt can still fail once and retry.
  finished("c1", "w2", v1::StepFinished::FAILED, "exit 1");
  EXPECT_EQ(stored("c1").status, CaseStatus::queued);

  // w1 comes back still running its old attempt: it is told to stop.
  v1::StepStarted late;
  late.mutable_step()->set_case_id("c1");
  late.mutable_step()->set_attempt(1);
  late.mutable_step()->set_worker_id("w1");
  ASSERT_TRUE(scheduler_->on_step_started(late).ok());
  ASSERT_EQ(cancels().size(), 1u);
  EXPECT_EQ(cancels()[0].attempt(), 1u);
}

TEST_F(CaseSchedulerTest, ARestartedSchedulerResendsInFlightStepsAndKeepsCounting) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  started("c1", "w1");
  ASSERT_EQ(run_steps().size(), 1u);  // committed and sent
  make_scheduler();
  const auto sent = run_steps();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].second.attempt(), 1u) << "the same attempt, which the worker runs only once";
  EXPECT_EQ(published()[1].message.message_id, published()[0].message.message_id);
  finished("c1", "w1");
  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
}

TEST_F(CaseSchedulerTest, CommandsWaitForTheCommitThatDecidedThem) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  EXPECT_TRUE(transport_.published().empty()) << "nothing out before the commit";
  scheduler_->discard_outbox();  // as after a failed commit
  EXPECT_TRUE(run_steps().empty());
}

TEST_F(CaseSchedulerTest, ARunStepTheBrokerReturnsCountsAsRefusedAndIsRetried) {
  transport_.set_auto_confirm(false);
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  ASSERT_EQ(run_steps().size(), 1u);
  transport_.settle_all(amqp::PublishOutcome::returned);  // the worker's queue is gone
  ASSERT_EQ(reacted_.size(), 1u);
  EXPECT_TRUE(reacted_[0].ok()) << reacted_[0].error().message;
  const auto c = stored("c1");
  EXPECT_EQ(c.status, CaseStatus::queued);
  EXPECT_NE(c.message.find("the broker returned the command for worker w1"), std::string::npos) << c.message;
  clock_.advance(5s);  // the workflow's retry back-off
  ASSERT_TRUE(scheduler_->tick().ok());
  const auto sent = run_steps();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].second.attempt(), 2u);
}

TEST_F(CaseSchedulerTest, ADatabaseErrorInTheReactionToAReturnedRunStepReachesItsCaller) {
  transport_.set_auto_confirm(false);
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  ASSERT_EQ(run_steps().size(), 1u);
  ASSERT_TRUE(store_->db()
                  .exec("CREATE TRIGGER refuse BEFORE UPDATE ON step_attempts "
                        "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
                  .ok());
  transport_.settle_all(amqp::PublishOutcome::returned);
  ASSERT_EQ(reacted_.size(), 1u);
  ASSERT_FALSE(reacted_[0].ok()) << "the caller stops the conductor on it; a log line alone would leave memory ahead";
  EXPECT_EQ(reacted_[0].error().code, Errc::database);
  EXPECT_NE(reacted_[0].error().message.find("the disk is full"), std::string::npos) << reacted_[0].error().message;
}

TEST_F(CaseSchedulerTest, AStepFinishedThatCarriesItsStartRecordsBothTransitions) {
  std::vector<bool> starts;  // with_end, per start recorded
  scheduler_->set_start_listener([&](bool with_end) { starts.push_back(with_end); });
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  const TimePoint dispatched = clock_.now();
  clock_.advance(500ms);
  v1::StepFinished e;
  *e.mutable_step() = ref("c1", "w1");
  e.set_outcome(v1::StepFinished::SUCCEEDED);
  e.set_duration_ms(200);
  *e.mutable_started()->mutable_step() = ref("c1", "w1");
  e.mutable_started()->set_pid(777);
  ASSERT_TRUE(scheduler_->on_step_finished(e).ok());  // its StepStarted never came

  const auto history = store_->case_history("c1").value();
  std::vector<CaseStatus> statuses;
  for (const auto& h : history) statuses.push_back(h.status);
  EXPECT_EQ(statuses, (std::vector<CaseStatus>{CaseStatus::queued, CaseStatus::processing, CaseStatus::executing,
                                               CaseStatus::completed}));
  const auto attempts = store_->step_attempts("c1").value();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].status, AttemptStatus::succeeded);
  EXPECT_EQ(attempts[0].pid, 777u);
  ASSERT_TRUE(attempts[0].started_at.has_value());
  EXPECT_EQ(*attempts[0].started_at, dispatched + 300ms) << "dated back by the job's run time";
  EXPECT_EQ(history[2].at, dispatched + 300ms) << "and so is its history row";
  EXPECT_EQ(starts, std::vector<bool>{true}) << "counted as reported by its end";

  // A job that ran longer than the conductor knew of it starts no earlier than its dispatch.
  ASSERT_TRUE(submit("c2", "single", {}).ok());
  const TimePoint dispatched2 = clock_.now();
  clock_.advance(100ms);
  *e.mutable_step() = ref("c2", "w1");
  *e.mutable_started()->mutable_step() = ref("c2", "w1");
  e.set_duration_ms(60000);
  ASSERT_TRUE(scheduler_->on_step_finished(e).ok());
  EXPECT_EQ(store_->step_attempts("c2").value().at(0).started_at, dispatched2);
}

TEST_F(CaseSchedulerTest, AStartAlreadyHeardIsNotRecordedAgainFromTheStepFinished) {
  std::vector<bool> starts;
  scheduler_->set_start_listener([&](bool with_end) { starts.push_back(with_end); });
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  const TimePoint heard = clock_.now();
  started("c1", "w1");  // pid 4242
  clock_.advance(1s);
  v1::StepFinished e;
  *e.mutable_step() = ref("c1", "w1");
  e.set_outcome(v1::StepFinished::SUCCEEDED);
  e.set_duration_ms(100);
  *e.mutable_started()->mutable_step() = ref("c1", "w1");
  e.mutable_started()->set_pid(5151);
  ASSERT_TRUE(scheduler_->on_step_finished(e).ok());
  EXPECT_EQ(store_->case_history("c1").value().size(), 4u) << "QUEUED, PROCESSING, EXECUTING, COMPLETED";
  const auto attempt = store_->step_attempts("c1").value().at(0);
  EXPECT_EQ(attempt.pid, 4242u) << "the StepStarted's";
  EXPECT_EQ(attempt.started_at, std::optional<TimePoint>(heard)) << "not dated back from the end";
  // Repeated (the worker reports again from its job store): the attempt is over.
  ASSERT_TRUE(scheduler_->on_step_finished(e).ok());
  EXPECT_EQ(store_->case_history("c1").value().size(), 4u);
  EXPECT_EQ(store_->step_attempts("c1").value().size(), 1u);
  EXPECT_EQ(starts, std::vector<bool>{false}) << "one start, reported by its StepStarted";
}

TEST_F(CaseSchedulerTest, EventsFromAnotherWorkerThanTheAttemptsAreIgnored) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  finished("c1", "impostor");
  EXPECT_EQ(stored("c1").status, CaseStatus::processing);
  finished("c1", "w1");
  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
}

TEST_F(CaseSchedulerTest, AWorkerThatStopsOnPurposeKeepsItsStepsForWhenItReturns) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  started("c1", "w1");
  v1::WorkerStopping bye;
  bye.set_worker_id("w1");
  bye.set_jobs_left_running(true);
  ASSERT_TRUE(registry_->on_stopping(bye).ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "not requeued: the job still runs";
  ASSERT_TRUE(submit("c2", "single", {}).ok());
  EXPECT_EQ(stored("c2").status, CaseStatus::queued) << "nothing placed on a stopped worker";
  add_worker("w1", {"cpu"}, 1, 0);
  finished("c1", "w1");
  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
}

TEST_F(CaseSchedulerTest, StaleAndDuplicateEventsChangeNothing) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  finished("c1", "w1");
  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
  finished("c1", "w1", v1::StepFinished::FAILED, "late duplicate");
  EXPECT_EQ(stored("c1").status, CaseStatus::completed);
  EXPECT_EQ(store_->case_history("c1").value().size(), 3u);
}

TEST_F(CaseSchedulerTest, AStepThatOverrunsItsTimeoutIsFlaggedStuckAndRetried) {
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  started("c1", "w1");
  clock_.advance(60s + 60s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_TRUE(scheduler_->find_active("c1")) << "still within the current attempt's window";
  clock_.advance(1s);
  ASSERT_TRUE(scheduler_->tick().ok());
  ASSERT_EQ(cancels().size(), 1u);
  const auto c = stored("c1");
  EXPECT_EQ(c.status, CaseStatus::queued);
  EXPECT_NE(c.message.find("stuck"), std::string::npos) << c.message;
  EXPECT_EQ(store_->step_attempts("c1").value()[0].status, AttemptStatus::lost);
}

TEST_F(CaseSchedulerTest, AJobItsWorkerStopsListingIsFlaggedStuckAndRecordedForAlerting) {
  run_c1_with_job_heartbeats();
  for (int i = 0; i < 5; ++i) {
    clock_.advance(10s);
    heartbeat("w1", {ref("c1", "w1")});
    ASSERT_TRUE(scheduler_->tick().ok());
  }
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "listed in every heartbeat: not stuck";

  // The worker is alive but no longer lists the job.
  for (int i = 0; i < 3; ++i) {
    clock_.advance(10s);
    heartbeat("w1", {});
    ASSERT_TRUE(scheduler_->tick().ok());
  }
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "exactly the timeout is not over it";
  clock_.advance(1s);
  ASSERT_TRUE(scheduler_->tick().ok());
  const auto c = stored("c1");
  EXPECT_EQ(c.status, CaseStatus::queued) << "retried per the step's policy";
  EXPECT_NE(c.message.find("has not reported the job"), std::string::npos) << c.message;
  const auto problems = store_->case_problems(TimePoint{}, 10).value();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].case_id, "c1");
  EXPECT_EQ(problems[0].kind, "stuck");
  EXPECT_EQ(problems[0].worker_id, "w1");
  EXPECT_EQ(cancels().size(), 1u) << "the worker is told to stop whatever is left of it";
}

TEST_F(CaseSchedulerTest, StuckPolicyFailOrRequeue) {
  CasesConfig config;
  config.job_heartbeat_timeout = 30s;  // also for the second scheduler below
  config.on_stuck = CasesConfig::OnStuck::fail;
  run_c1_with_job_heartbeats(config, 2);
  clock_.advance(31s);
  heartbeat("w1", {});
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::failed);

  config.on_stuck = CasesConfig::OnStuck::requeue;
  make_scheduler(config);
  ASSERT_TRUE(submit("c2", "single", {}).ok());
  started("c2", "w1");
  clock_.advance(31s);
  heartbeat("w1", {});
  ASSERT_TRUE(scheduler_->tick().ok());
  const auto c2 = stored("c2");
  EXPECT_EQ(c2.status, CaseStatus::processing) << "requeued and placed again at once";
  EXPECT_EQ(c2.attempt, 2u);
  EXPECT_EQ(c2.retry_base, 1u) << "a requeue does not spend the step's retries";
}

TEST_F(CaseSchedulerTest, AnOfflineWorkersJobsAreNotJudgedByJobHeartbeats) {
  run_c1_with_job_heartbeats();
  stop_w1_leaving_jobs();
  clock_.advance(50s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "its jobs run on; reconciled when it returns";
}

TEST_F(CaseSchedulerTest, JobHeartbeatsTheConductorCouldNotHearAreNotCountedMissing) {
  run_c1_with_job_heartbeats();
  clock_.advance(25s);  // the broker link was down: no heartbeat could arrive
  scheduler_->excuse_silence_until(clock_.now());
  clock_.advance(29s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "silent 54 s, but heard for only 29 of them";
  clock_.advance(2s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_NE(stored("c1").message.find("has not reported the job"), std::string::npos) << stored("c1").message;
}

TEST_F(CaseSchedulerTest, AResultTheConductorCouldNotHearGetsTheWholeGraceOnceItCan) {
  CasesConfig config;
  config.stuck_grace = 60s;
  make_scheduler(config);
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  started("c1", "w1");
  clock_.advance(60s + 2min);  // past the step's 60 s timeout + grace; the broker was away all along
  scheduler_->excuse_silence_until(clock_.now());
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "its StepFinished may be on the way";
  clock_.advance(61s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_NE(stored("c1").message.find("stuck"), std::string::npos) << stored("c1").message;
  EXPECT_EQ(store_->step_attempts("c1").value()[0].status, AttemptStatus::lost);
}

TEST_F(CaseSchedulerTest, AWorkerBackFromAStopIsNotJudgedStuckBeforeItsFirstHeartbeat) {
  run_c1_with_job_heartbeats();
  stop_w1_leaving_jobs();
  clock_.advance(40s);  // away longer than the job heartbeat timeout
  add_worker("w1", {"cpu"}, 1, 0);
  ASSERT_TRUE(scheduler_->on_worker_registered("w1").ok());
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(stored("c1").status, CaseStatus::executing) << "its reconcile answer is on the way";
}

}  // namespace
}  // namespace baton::conductor

namespace baton::conductor {
namespace {

TEST_F(CaseSchedulerTest, ADrainingWorkerGetsNoNewStepsAndAStepItHandsBackKeepsItsRetries) {
  add_worker("w1", {"cpu"}, 2, 0);
  add_worker("w2", {"cpu"}, 1, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  EXPECT_EQ(stored("c1").worker_id, "w1") << "most free slots";

  v1::WorkerHeartbeat draining;
  draining.set_worker_id("w1");
  draining.set_sequence(1);
  draining.set_heartbeat_interval_ms(1000);
  draining.set_draining(true);
  ASSERT_TRUE(registry_->on_heartbeat(draining).ok());
  // w1 got c1's step before it said so, and hands it back.
  v1::StepRejected back;
  *back.mutable_step() = ref("c1", "w1");
  back.set_reason("worker w1 is draining");
  ASSERT_TRUE(scheduler_->on_step_rejected(back).ok());

  ASSERT_EQ(run_steps().size(), 2u);
  EXPECT_EQ(run_steps()[1].first, "worker.w2");
  // The hand-back did not count: one real failure still leaves a retry.
  finished("c1", "w2", v1::StepFinished::FAILED, "exit 1");
  EXPECT_EQ(stored("c1").status, CaseStatus::queued);
  ASSERT_TRUE(submit("c2", "single", {}).ok());
  EXPECT_EQ(stored("c2").status, CaseStatus::processing);
  EXPECT_EQ(stored("c2").worker_id, "w2") << "never the draining w1";
}

}  // namespace
}  // namespace baton::conductor

namespace baton::conductor {
namespace {

TEST_F(CaseSchedulerTest, AReturningWorkerIsReconciledWithWhatItReallyRuns) {
  add_worker("w1", {"cpu"}, 4, 0);
  ASSERT_TRUE(submit("c1", "single", {}).ok());
  ASSERT_TRUE(submit("c2", "single", {}).ok());
  started("c1", "w1");
  ASSERT_TRUE(scheduler_->on_worker_registered("w1").ok());
  bool asked = false;
  for (const auto& p : published()) {
    auto e = codec::decode(p.message.body, p.message.content_type);
    asked = asked || (e && e->has_reconcile() && p.message.routing_key == "worker.w1");
  }
  EXPECT_TRUE(asked);

  // w1 runs c1's attempt and an old attempt we gave up on, but not c2's.
  v1::RunningSteps running;
  running.set_worker_id("w1");
  *running.add_steps() = ref("c1", "w1");
  auto old = ref("c1", "w1");
  old.set_attempt(old.attempt() + 7);
  *running.add_steps() = old;
  const size_t sent_before = run_steps().size();
  ASSERT_TRUE(scheduler_->on_running_steps(running).ok());

  const auto sent = run_steps();
  ASSERT_EQ(sent.size(), sent_before + 1) << "only c2's step is sent again";
  EXPECT_EQ(sent.back().second.case_id(), "c2");
  ASSERT_EQ(cancels().size(), 1u);
  EXPECT_EQ(cancels()[0].attempt(), old.attempt());
}

}  // namespace
}  // namespace baton::conductor
