#include <gtest/gtest.h>

#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "common/amqp/fake_transport.hpp"
#include "common/codec/envelope_codec.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

class TaskSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(ConductorStore::open(db_path_).value());
    registry_ = std::make_unique<WorkerRegistry>(*store_, clock_, WorkersConfig{});
    ASSERT_TRUE(registry_->load().ok());

    TaskDefinition disk;
    disk.kind = TaskDefinition::Kind::check;
    disk.name = "disk_root";
    disk.type = "disk";
    disk.params = {{"path", "/"}};
    disk.targets.labels = {"gpu"};
    ScheduleSpec every;
    every.name = disk.schedule_name();
    every.interval = 60s;
    disk.schedule = every;
    tasks_["disk_root"] = disk;

    TaskDefinition cleanup;
    cleanup.kind = TaskDefinition::Kind::maintenance;
    cleanup.name = "tmp_cleanup";
    cleanup.type = "cleanup";
    cleanup.params = {{"dir", "/var/tmp/x"}};
    tasks_["tmp_cleanup"] = cleanup;
    make_scheduler();
  }

  void make_scheduler() {
    scheduler_ = std::make_unique<TaskScheduler>(*store_, transport_, *registry_, clock_, tasks_);
    registry_->set_status_listener([this](const WorkerRecord& w) { ASSERT_TRUE(scheduler_->refresh_worker(w).ok()); });
    ASSERT_TRUE(scheduler_->load().ok());
  }

  void add_worker(const std::string& id, std::vector<std::string> labels) {
    v1::WorkerRegister r;
    r.set_worker_id(id);
    r.set_slots(1);
    r.set_heartbeat_interval_ms(1000);
    for (auto& l : labels) r.add_labels(l);
    ASSERT_TRUE(registry_->on_register(r).ok());
  }

  // Commands published since the last call, decoded, with their routing keys.
  std::vector<std::pair<std::string, v1::Envelope>> sent() {
    std::vector<std::pair<std::string, v1::Envelope>> out;
    scheduler_->release_outbox();  // as after the batch's commit
    const auto all = transport_.published();
    for (size_t i = seen_; i < all.size(); ++i)
      out.emplace_back(all[i].message.routing_key, codec::decode(all[i].message.body, all[i].message.content_type).value());
    seen_ = all.size();
    return out;
  }

  v1::CheckResult result(const std::string& worker, const std::string& command, v1::CheckState state) {
    v1::CheckResult r;
    r.set_worker_id(worker);
    r.set_command_id(command);
    r.set_check("disk_root");
    r.set_type("disk");
    r.set_state(state);
    r.set_output("DISK " + std::to_string(static_cast<int>(state)));
    auto* p = r.add_perfdata();
    p->set_label("/");
    p->set_value(81.5);
    p->set_uom("%");
    p->set_warn("80");
    *r.mutable_finished_at() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(to_unix_ms(clock_.now()));
    return r;
  }

  std::string db_path_ = ::testing::TempDir() + "tasks-" + std::to_string(::getpid()) + ".db";
  ManualClock clock_;
  amqp::FakeTransport transport_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<WorkerRegistry> registry_;
  std::map<std::string, TaskDefinition> tasks_;
  std::unique_ptr<TaskScheduler> scheduler_;
  size_t seen_ = 0;

  void TearDown() override {
    scheduler_.reset();
    registry_.reset();
    store_.reset();
    std::remove(db_path_.c_str());
  }
};

TEST_F(TaskSchedulerTest, RequestsGoOutWithTheCommitThatRecordedThemAndNotWithoutIt) {
  add_worker("gpu-1", {"gpu"});
  ASSERT_TRUE(scheduler_->tick().ok());
  auto run = scheduler_->run_now(TaskDefinition::Kind::maintenance, "tmp_cleanup", "gpu-1", true);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_TRUE(transport_.published().empty()) << "nothing out before the commit";
  scheduler_->discard_outbox();  // the batch was rolled back
  scheduler_->release_outbox();
  EXPECT_TRUE(transport_.published().empty()) << "a dropped request never goes out";

  clock_.advance(2min);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_TRUE(transport_.published().empty());
  scheduler_->release_outbox();
  EXPECT_EQ(transport_.published().size(), 1u) << "the next scheduled check, once committed";
}

TEST_F(TaskSchedulerTest, AScheduledCheckGoesToEveryOnlineWorkerItTargetsWithAnExpiry) {
  add_worker("gpu-1", {"gpu"});
  add_worker("gpu-2", {"gpu", "cpu"});
  add_worker("cpu-1", {"cpu"});
  ASSERT_TRUE(scheduler_->tick().ok());
  auto first = sent();
  ASSERT_EQ(first.size(), 2u) << "the labelled workers, at once (no splay)";
  std::set<std::string> keys;
  for (const auto& [key, e] : first) {
    keys.insert(key);
    ASSERT_TRUE(e.has_run_check());
    EXPECT_EQ(e.run_check().type(), "disk");
    EXPECT_EQ(e.run_check().params().at("path"), "/");
    EXPECT_EQ(e.run_check().schedule(), "check:disk_root");
    EXPECT_EQ(e.message_id(), e.run_check().command_id()) << "the worker dedupes on it";
  }
  EXPECT_EQ(keys, (std::set<std::string>{"worker.gpu-1", "worker.gpu-2"}));
  EXPECT_EQ(transport_.published()[0].message.expiration, std::optional<std::chrono::milliseconds>(60s))
      << "a request that waited a whole interval is stale";

  clock_.advance(59s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_TRUE(sent().empty());
  clock_.advance(1s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(sent().size(), 2u);
}

TEST_F(TaskSchedulerTest, OnlyAScheduledCheckMayGoWithoutTheBrokersDisk) {
  add_worker("gpu-1", {"gpu"});
  ASSERT_TRUE(scheduler_->tick().ok());
  scheduler_->release_outbox();
  ASSERT_EQ(transport_.published().size(), 1u);
  EXPECT_TRUE(transport_.published()[0].message.recoverable) << "its next run stands in for a lost one";

  auto run = scheduler_->run_now(TaskDefinition::Kind::check, "disk_root", "gpu-1", std::nullopt);
  ASSERT_TRUE(run.ok()) << run.error().message;
  scheduler_->release_outbox();
  const auto all = transport_.published();
  ASSERT_EQ(all.size(), 2u);
  const auto& manual = all[1].message;
  EXPECT_TRUE(codec::decode(manual.body, manual.content_type).value().has_run_check());
  EXPECT_FALSE(manual.recoverable) << "nothing would send an operator's request again";
}

TEST_F(TaskSchedulerTest, AWorkerThatStopsLeavesTheTargetsAndOneThatRegistersJoinsThem) {
  add_worker("gpu-1", {"gpu"});
  add_worker("gpu-2", {"gpu"});
  ASSERT_TRUE(scheduler_->tick().ok());
  ASSERT_EQ(sent().size(), 2u);

  v1::WorkerStopping stop;
  stop.set_worker_id("gpu-2");
  ASSERT_TRUE(registry_->on_stopping(stop).ok());
  add_worker("gpu-3", {"gpu"});
  add_worker("cpu-9", {"cpu"});
  clock_.advance(60s);
  ASSERT_TRUE(scheduler_->tick().ok());
  std::set<std::string> keys;
  for (const auto& [key, e] : sent()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"worker.gpu-1", "worker.gpu-3"}))
      << "gpu-2 stopped; cpu-9 is not labelled gpu";

  add_worker("gpu-2", {"gpu"});  // back: a target again
  clock_.advance(60s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(sent().size(), 3u);
}

TEST_F(TaskSchedulerTest, ARestartNeitherRepeatsNorSkipsARun) {
  add_worker("gpu-1", {"gpu"});
  ASSERT_TRUE(store_->begin_batch().ok());
  ASSERT_TRUE(scheduler_->tick().ok());
  ASSERT_TRUE(store_->commit_batch().ok());
  EXPECT_EQ(sent().size(), 1u);
  clock_.advance(30s);
  make_scheduler();  // the conductor restarts half-way through the interval
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_TRUE(sent().empty()) << "the run before the restart counts";
  clock_.advance(30s);
  ASSERT_TRUE(scheduler_->tick().ok());
  EXPECT_EQ(sent().size(), 1u) << "and the next one comes on time";
}

TEST_F(TaskSchedulerTest, ResultsAreRecordedOnceWithTheirStreakAndPerfdata) {
  add_worker("gpu-1", {"gpu"});
  std::vector<CheckResultRecord> heard;
  scheduler_->set_check_listener([&](const CheckResultRecord& r) { heard.push_back(r); });
  ASSERT_TRUE(scheduler_->on_check_result(result("gpu-1", "c1", v1::CHECK_STATE_WARNING)).ok());
  clock_.advance(60s);
  ASSERT_TRUE(scheduler_->on_check_result(result("gpu-1", "c2", v1::CHECK_STATE_WARNING)).ok());
  ASSERT_TRUE(scheduler_->on_check_result(result("gpu-1", "c2", v1::CHECK_STATE_WARNING)).ok())
      << "a redelivered result";
  ASSERT_EQ(heard.size(), 2u) << "the repeat changes nothing";
  EXPECT_EQ(heard[1].consecutive, 2u);
  EXPECT_EQ(heard[1].state_since, heard[0].at);

  clock_.advance(60s);
  ASSERT_TRUE(scheduler_->on_check_result(result("gpu-1", "c3", v1::CHECK_STATE_OK)).ok());
  const auto latest = store_->latest_checks({}).value();
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].state, CheckState::ok);
  EXPECT_EQ(latest[0].consecutive, 1u);
  EXPECT_EQ(latest[0].state_since, clock_.now());
  const auto perf = nlohmann::json::parse(latest[0].perfdata_json);
  EXPECT_EQ(perf[0]["label"], "/");
  EXPECT_EQ(perf[0]["value"], 81.5);
  EXPECT_EQ(perf[0]["warn"], "80");
  EXPECT_EQ(store_->check_history({}).value().size(), 3u);
  CheckFilter warnings;
  warnings.state = CheckState::warning;
  EXPECT_EQ(store_->check_history(warnings).value().size(), 2u);
}

TEST_F(TaskSchedulerTest, AManualActionRunIsRecordedFromRequestToResult) {
  add_worker("cpu-1", {"cpu"});
  auto runs = scheduler_->run_now(TaskDefinition::Kind::maintenance, "tmp_cleanup", "cpu-1", true);
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 1u);
  auto commands = sent();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].first, "worker.cpu-1");
  EXPECT_TRUE(commands[0].second.run_maintenance().dry_run());
  EXPECT_EQ(commands[0].second.run_maintenance().action(), "cleanup");
  MaintenanceFilter by_id;
  by_id.command_id = (*runs)[0].command_id;
  EXPECT_EQ(store_->maintenance_runs(by_id).value().at(0).status, "REQUESTED");

  v1::MaintenanceResult done;
  done.set_worker_id("cpu-1");
  done.set_command_id((*runs)[0].command_id);
  done.set_action("cleanup");
  done.set_ok(true);
  done.set_dry_run(true);
  done.set_message("would remove 3 files (12 KiB)");
  (*done.mutable_metrics())["files"] = 3;
  ASSERT_TRUE(scheduler_->on_maintenance_result(done).ok());
  const auto run = store_->maintenance_runs(by_id).value().at(0);
  EXPECT_EQ(run.status, "OK");
  EXPECT_EQ(run.task, "tmp_cleanup") << "the request row keeps the configured name";
  EXPECT_EQ(nlohmann::json::parse(run.metrics_json)["files"], 3);
}

TEST_F(TaskSchedulerTest, ManualRunsSayWhyTheyCannotBeSent) {
  auto unknown = scheduler_->run_now(TaskDefinition::Kind::check, "nope", "", std::nullopt);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  auto nobody = scheduler_->run_now(TaskDefinition::Kind::check, "disk_root", "", std::nullopt);
  EXPECT_EQ(nobody.error().code, Errc::unavailable);
  EXPECT_NE(nobody.error().message.find("no online worker"), std::string::npos);
  auto ghost = scheduler_->run_now(TaskDefinition::Kind::check, "disk_root", "ghost", std::nullopt);
  EXPECT_EQ(ghost.error().code, Errc::not_found);
}

TEST_F(TaskSchedulerTest, AHoldSetBeforeLoadingStillHoldsTheSchedules) {
  scheduler_ = std::make_unique<TaskScheduler>(*store_, transport_, *registry_, clock_, tasks_);
  scheduler_->set_hold([](const std::string&, const std::string& target, TimePoint) { return target == "gpu-1"; });
  ASSERT_TRUE(scheduler_->load().ok());  // the app sets the hold first, then loads
  add_worker("gpu-1", {"gpu"});
  add_worker("gpu-2", {"gpu"});
  ASSERT_TRUE(scheduler_->tick().ok());
  const auto commands = sent();
  ASSERT_EQ(commands.size(), 1u) << "gpu-1 is in a maintenance window";
  EXPECT_EQ(commands[0].first, "worker.gpu-2");
}

TEST_F(TaskSchedulerTest, AResultOlderThanTheLatestGoesToTheHistoryOnlyAndNotToAlerting) {
  add_worker("gpu-1", {"gpu"});
  std::vector<CheckResultRecord> heard;
  scheduler_->set_check_listener([&](const CheckResultRecord& r) { heard.push_back(r); });
  clock_.advance(60s);
  ASSERT_TRUE(scheduler_->on_check_result(result("gpu-1", "new", v1::CHECK_STATE_CRITICAL)).ok());
  clock_.advance(-30s);
  ASSERT_TRUE(scheduler_->on_check_result(result("gpu-1", "late", v1::CHECK_STATE_OK)).ok());
  ASSERT_EQ(heard.size(), 1u) << "a late OK must not resolve a newer CRITICAL";
  EXPECT_EQ(store_->latest_checks({}).value().at(0).state, CheckState::critical);
  EXPECT_EQ(store_->check_history({}).value().size(), 2u);
}

}  // namespace
}  // namespace baton::conductor
