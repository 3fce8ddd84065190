#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "conductor/core/ops_service.hpp"
#include "conductor/http/api.hpp"
#include "conductor/store/conductor_store.hpp"
#include "tests/unit/support/conductor_db_test.hpp"

namespace baton::conductor {
namespace {

using nlohmann::json;
using Kind = TaskDefinition::Kind;

constexpr const char* kToken = testing::kApiToken;

// Knows the check "disk" and the action "cleanup"; worker "w9" is offline.
// Alerting is not its business here (alert_routes_test covers it).
class FakeOpsService final : public OpsService {
 public:
  struct RunCall {
    Kind kind;
    std::string name, worker;
    std::optional<bool> dry_run;
  };

  Result<std::vector<TriggeredRun>> run_task(Kind kind, const std::string& name, const std::string& worker_id,
                                             std::optional<bool> dry_run) override {
    calls.push_back({kind, name, worker_id, dry_run});
    const bool known = (kind == Kind::check && name == "disk") || (kind == Kind::maintenance && name == "cleanup");
    if (!known) return make_error(Errc::not_found, std::string("no ") + to_string(kind) + " named " + name);
    if (worker_id == "w9") return make_error(Errc::unavailable, "worker w9 is offline");
    if (!worker_id.empty()) return std::vector<TriggeredRun>{{worker_id, "cmd-1"}};
    return std::vector<TriggeredRun>{{"w1", "cmd-1"}, {"w2", "cmd-2"}};
  }
  Result<std::vector<ScheduledTarget>> schedules() override { return targets; }
  Result<std::vector<TaskDefinition>> tasks() override { return configured; }

  Result<alerts::AlertRecord> acknowledge(int64_t, const std::string&, const std::string&,
                                          std::optional<TimePoint>) override {
    return make_error(Errc::not_found, "no alerts here");
  }
  Result<alerts::Silence> add_silence(alerts::Silence) override { return make_error(Errc::refused, "no"); }
  Status expire_silence(int64_t) override { return make_error(Errc::not_found, "no"); }
  Result<std::vector<alerts::Silence>> silences() override { return std::vector<alerts::Silence>{}; }
  Result<alerts::MaintenanceWindow> add_maintenance(alerts::MaintenanceWindow) override {
    return make_error(Errc::refused, "no");
  }
  Status end_maintenance(int64_t) override { return make_error(Errc::not_found, "no"); }
  Result<std::vector<alerts::MaintenanceWindow>> maintenance_windows() override {
    return std::vector<alerts::MaintenanceWindow>{};
  }

  std::vector<RunCall> calls;
  std::vector<ScheduledTarget> targets;
  std::vector<TaskDefinition> configured;
};

class OpsRoutesTest : public testing::RouteTest {
 protected:
  void SetUp() override {
    RouteTest::SetUp();
    install();
  }

  void install(std::string token = kToken, bool with_ops = true) {
    ApiDeps deps;
    deps.database_path = database_;
    deps.clock = &clock_;
    deps.ops = with_ops ? &ops_ : nullptr;
    deps.api_token = std::move(token);
    router_ = http::Router();
    ConductorApi(deps).install(router_);
  }


  void record(const std::string& worker, const std::string& check, CheckState state, const std::string& command,
              std::chrono::minutes ago) {
    CheckResultRecord r;
    r.worker_id = worker;
    r.check = check;
    r.type = check;
    r.command_id = command;
    r.state = state;
    r.output = check + " is " + to_string(state);
    r.perfdata_json = R"([{"label":"used","value":91.5,"uom":"%"}])";
    r.duration = std::chrono::milliseconds(12);
    r.at = clock_.now() - ago;
    auto recorded = store_->record_check_result(r);
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  }

  // w1: disk OK; load WARNING then CRITICAL. w2: disk WARNING.
  void seed_checks() {
    record("w1", "disk", CheckState::ok, "c1", std::chrono::minutes(30));
    record("w1", "load", CheckState::warning, "c2", std::chrono::minutes(20));
    record("w1", "load", CheckState::critical, "c3", std::chrono::minutes(10));
    record("w2", "disk", CheckState::warning, "c4", std::chrono::minutes(5));
  }

  static std::vector<std::string> pairs(const json& checks) {
    std::vector<std::string> out;
    for (const auto& c : checks) out.push_back(c["worker_id"].get<std::string>() + "/" + c["check"].get<std::string>() +
                                                "=" + c["state"].get<std::string>());
    return out;
  }

  FakeOpsService ops_;
};

using V = std::vector<std::string>;

TEST_F(OpsRoutesTest, LatestChecksShowOneResultPerWorkerAndCheckWithHowLongTheStateHeld) {
  seed_checks();
  const auto all = call("GET", "/api/v1/checks");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(pairs(all.body["checks"]), (V{"w1/disk=OK", "w1/load=CRITICAL", "w2/disk=WARNING"}));
  const auto& load = all.body["checks"][1];
  EXPECT_EQ(load["perfdata"][0]["label"], "used");
  EXPECT_DOUBLE_EQ(load["perfdata"][0]["value"].get<double>(), 91.5);
  EXPECT_EQ(load["consecutive"], 1) << "CRITICAL after WARNING starts a new run";
  EXPECT_EQ(load["state_since"], "2023-11-14T22:05:00.000Z");
  EXPECT_DOUBLE_EQ(load["age_seconds"].get<double>(), 600.0);
  EXPECT_EQ(load["command_id"], "c3");

  EXPECT_EQ(pairs(call("GET", "/api/v1/checks?state=critical").body["checks"]), (V{"w1/load=CRITICAL"}));
  EXPECT_EQ(pairs(call("GET", "/api/v1/checks?worker=w2").body["checks"]), (V{"w2/disk=WARNING"}));
  EXPECT_EQ(pairs(call("GET", "/api/v1/checks?check=disk&worker=w1").body["checks"]), (V{"w1/disk=OK"}));
  const auto bad = call("GET", "/api/v1/checks?state=purple");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("CRITICAL"), std::string::npos) << bad.body;
}

TEST_F(OpsRoutesTest, HistoryFiltersByWorkerCheckCommandAndStateNewestFirst) {
  seed_checks();
  const auto load = call("GET", "/api/v1/checks/history?worker=w1&check=load");
  ASSERT_EQ(load.status, 200);
  EXPECT_EQ(pairs(load.body["checks"]), (V{"w1/load=CRITICAL", "w1/load=WARNING"}));
  EXPECT_FALSE(load.body["checks"][0].contains("consecutive")) << "history rows carry no run length";

  EXPECT_EQ(pairs(call("GET", "/api/v1/checks/history?command_id=c2").body["checks"]), (V{"w1/load=WARNING"}));
  EXPECT_EQ(pairs(call("GET", "/api/v1/checks/history?state=WARNING").body["checks"]),
            (V{"w2/disk=WARNING", "w1/load=WARNING"}));
  EXPECT_EQ(call("GET", "/api/v1/checks/history?limit=2").body["checks"].size(), 2u);
  EXPECT_EQ(call("GET", "/api/v1/checks/history?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/checks/history?limit=many").status, 400);
  EXPECT_TRUE(call("GET", "/api/v1/checks/history?command_id=nope").body["checks"].empty());
}

TEST_F(OpsRoutesTest, ConfigListsChecksAndActionsSeparatelyWithTheirSchedules) {
  TaskDefinition disk;
  disk.name = "disk";
  disk.type = "disk";
  disk.params = {{"path", "/data"}};
  disk.targets.labels = {"gpu"};
  disk.schedule = ScheduleSpec{};
  disk.schedule->interval = std::chrono::minutes(5);
  TaskDefinition cleanup;
  cleanup.kind = Kind::maintenance;
  cleanup.name = "cleanup";
  cleanup.type = "cleanup";
  cleanup.dry_run = true;
  ops_.configured = {cleanup, disk};

  const auto checks = call("GET", "/api/v1/checks/config");
  ASSERT_EQ(checks.status, 200);
  ASSERT_EQ(checks.body["checks"].size(), 1u);
  EXPECT_EQ(checks.body["checks"][0]["name"], "disk");
  EXPECT_EQ(checks.body["checks"][0]["params"]["path"], "/data");
  EXPECT_EQ(checks.body["checks"][0]["targets"]["labels"], json::array({"gpu"}));
  EXPECT_EQ(checks.body["checks"][0]["schedule"]["every"], "5m");

  const auto actions = call("GET", "/api/v1/maintenance/actions");
  ASSERT_EQ(actions.body["actions"].size(), 1u);
  EXPECT_EQ(actions.body["actions"][0]["action"], "cleanup");
  EXPECT_EQ(actions.body["actions"][0]["dry_run"], true);
  EXPECT_TRUE(actions.body["actions"][0]["schedule"].is_null()) << "runs only on request";
}

TEST_F(OpsRoutesTest, RunningACheckAnswers202WithTheRunsAndMapsRefusals) {
  const auto one = call("POST", "/api/v1/checks/disk/run", R"({"worker": "w1"})");
  ASSERT_EQ(one.status, 202) << one.body;
  EXPECT_EQ(one.body["runs"], (json::array({{{"worker_id", "w1"}, {"command_id", "cmd-1"}}})));
  ASSERT_EQ(ops_.calls.size(), 1u);
  EXPECT_EQ(ops_.calls[0].kind, Kind::check);
  EXPECT_EQ(ops_.calls[0].worker, "w1");
  EXPECT_FALSE(ops_.calls[0].dry_run.has_value());

  EXPECT_EQ(call("POST", "/api/v1/checks/disk/run").body["runs"].size(), 2u) << "no body: every target";
  const auto missing = call("POST", "/api/v1/checks/nope/run");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"], "no check named nope");
  EXPECT_EQ(call("POST", "/api/v1/checks/disk/run", R"({"worker": "w9"})").status, 503);
  EXPECT_EQ(call("POST", "/api/v1/checks/disk/run", R"({"dry_run": true})").status, 400) << "checks have no dry run";
  EXPECT_EQ(call("POST", "/api/v1/checks/disk/run", R"({"worker": 7})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/checks/disk/run", "[1]").status, 400);
}

TEST_F(OpsRoutesTest, MaintenanceRunPassesDryRunOn) {
  const auto run = call("POST", "/api/v1/maintenance/cleanup/run", R"({"worker": "w2", "dry_run": true})");
  ASSERT_EQ(run.status, 202) << run.body;
  EXPECT_EQ(run.body["dry_run"], true);
  ASSERT_EQ(ops_.calls.size(), 1u);
  EXPECT_EQ(ops_.calls[0].kind, Kind::maintenance);
  EXPECT_EQ(ops_.calls[0].dry_run, std::optional<bool>(true));
  EXPECT_EQ(call("POST", "/api/v1/maintenance/rotate/run").status, 404);
}

TEST_F(OpsRoutesTest, MutatingCallsNeedTheToken) {
  for (const auto& target : {"/api/v1/checks/disk/run", "/api/v1/maintenance/cleanup/run"}) {
    EXPECT_EQ(call("POST", target, "", "").status, 401) << target;
    EXPECT_EQ(call("POST", target, "", "wrong").status, 401) << target;
  }
  EXPECT_EQ(call("POST", "/api/v1/db/backup", R"({"path": "/tmp/x.db"})", "").status, 401);
  EXPECT_TRUE(ops_.calls.empty());
  EXPECT_EQ(call("GET", "/api/v1/checks", "", "").status, 200) << "reads need no token";
}

TEST_F(OpsRoutesTest, MaintenanceRunsShowDetailsAndMetricsAsJson) {
  MaintenanceRunRecord run;
  run.command_id = "m1";
  run.worker_id = "w1";
  run.task = "cleanup-tmp";
  run.action = "cleanup";
  run.requested_at = clock_.now() - std::chrono::minutes(3);
  ASSERT_TRUE(store_->insert_maintenance_run(run).ok());
  run.status = "OK";
  run.message = "removed 3 files";
  run.details_json = R"({"removed": ["/tmp/a", "/tmp/b", "/tmp/c"]})";
  run.metrics_json = R"({"bytes_freed": 4096})";
  run.finished_at = clock_.now() - std::chrono::minutes(2);
  ASSERT_TRUE(store_->finish_maintenance_run(run).ok());
  auto pending = run;
  pending.command_id = "m2";
  pending.worker_id = "w2";
  pending.status = "REQUESTED";
  pending.finished_at.reset();
  pending.requested_at = clock_.now() - std::chrono::minutes(1);
  ASSERT_TRUE(store_->insert_maintenance_run(pending).ok());

  const auto all = call("GET", "/api/v1/maintenance/runs");
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(all.body["runs"].size(), 2u);
  EXPECT_EQ(all.body["runs"][0]["command_id"], "m2") << "newest first";
  EXPECT_TRUE(all.body["runs"][0]["finished_at"].is_null());
  const auto done = call("GET", "/api/v1/maintenance/runs?command_id=m1");
  ASSERT_EQ(done.body["runs"].size(), 1u);
  EXPECT_EQ(done.body["runs"][0]["status"], "OK");
  EXPECT_EQ(done.body["runs"][0]["details"]["removed"].size(), 3u);
  EXPECT_EQ(done.body["runs"][0]["metrics"]["bytes_freed"], 4096);
  EXPECT_EQ(call("GET", "/api/v1/maintenance/runs?worker=w2").body["runs"].size(), 1u);
}

TEST_F(OpsRoutesTest, SchedulesAreSortedByTaskAndWorker) {
  ScheduledTarget late{"disk", Kind::check, "w2", clock_.now() + std::chrono::minutes(5), std::nullopt, ""};
  ScheduledTarget early{"disk", Kind::check, "w1", clock_.now() + std::chrono::minutes(1), clock_.now(), "sent"};
  ops_.targets = {late, early};
  const auto reply = call("GET", "/api/v1/schedules");
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(reply.body["schedules"].size(), 2u);
  EXPECT_EQ(reply.body["schedules"][0]["worker_id"], "w1");
  EXPECT_EQ(reply.body["schedules"][0]["last_outcome"], "sent");
  EXPECT_EQ(reply.body["schedules"][0]["next_run"], "2023-11-14T22:16:00.000Z");
  EXPECT_TRUE(reply.body["schedules"][1]["last_fired"].is_null());
}

TEST_F(OpsRoutesTest, WithoutAnOpsServiceTheRoutesAreAbsent) {
  install(kToken, /*with_ops=*/false);
  EXPECT_EQ(call("GET", "/api/v1/checks").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/alerts").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/db/check").status, 200) << "the DB routes need no core";
}

TEST_F(OpsRoutesTest, BackupIsARestorableCopyAndRefusesToOverwrite) {
  seed_checks();
  const auto copy = (dir_ / "copy.db").string();
  const auto made = call("POST", "/api/v1/db/backup", json{{"path", copy}}.dump());
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(made.body["path"], copy);
  EXPECT_EQ(made.body["integrity"], "ok");
  EXPECT_EQ(made.body["bytes"].get<uint64_t>(), std::filesystem::file_size(copy));

  auto restored = ConductorStore::open(copy);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  CheckFilter filter;
  filter.worker_id = "w2";
  auto checks = (*restored)->latest_checks(filter);
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1u);
  EXPECT_EQ((*checks)[0].state, CheckState::warning);

  EXPECT_EQ(call("POST", "/api/v1/db/backup", json{{"path", copy}}.dump()).status, 409);
  EXPECT_EQ(call("POST", "/api/v1/db/backup", R"({"path": "relative.db"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/db/backup", json{{"path", (dir_ / "no/such/dir.db").string()}}.dump()).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/db/backup", "{}").status, 400);
}

TEST_F(OpsRoutesTest, DbCheckReportsAnIntactDatabaseWithItsSchemaVersion) {
  const auto reply = call("GET", "/api/v1/db/check");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body["ok"], true);
  EXPECT_TRUE(reply.body["problems"].empty());
  EXPECT_EQ(reply.body["schema_version"], store_->schema_version());
  EXPECT_EQ(reply.body["size_bytes"].get<uint64_t>(), std::filesystem::file_size(database_));
}

}  // namespace
}  // namespace baton::conductor
