#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "baton/events.pb.h"
#include "common/http/router.hpp"
#include "conductor/alerts/alert_store.hpp"
#include "conductor/http/api.hpp"
#include "conductor/http/report.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

ManualClock& clock() {
  static ManualClock c{from_unix_ms(1'700'000'100'000)};
  return c;
}

// A worker with 4 slots, 50 % memory used, 20 % CPU and load1 2 (50 % of 4
// cores): 0.4 x 50 + 0.3 x 20 + 0.3 x 50 = 41.
WorkerRecord worker(const std::string& id, double disk_used_percent = 50) {
  WorkerRecord w;
  w.id = id;
  w.hostname = id + ".lab";
  w.slots = 4;
  w.free_slots = 4;
  w.online = true;
  w.heartbeat_interval = 5s;
  w.first_seen = clock().now() - 24h;
  w.last_seen = clock().now() - 2s;
  w.status_changed_at = w.first_seen;
  v1::Resources resources;
  resources.set_cpu_percent(20);
  resources.set_memory_total_bytes(100 * kGiB);
  resources.set_memory_available_bytes(50 * kGiB);
  resources.set_load1(2);
  auto* disk = resources.add_disks();
  disk->set_path("/data");
  disk->set_total_bytes(1000 * kGiB);
  disk->set_used_bytes(static_cast<uint64_t>(disk_used_percent * 10 * kGiB));
  w.resources_pb = resources.SerializeAsString();
  return w;
}

WorkerRecord offline(WorkerRecord w, const std::string& reason) {
  w.online = false;
  w.offline_reason = reason;
  w.status_changed_at = clock().now() - 3h;
  return w;
}

CheckResultRecord check(const std::string& worker, const std::string& name, CheckState state) {
  CheckResultRecord r;
  r.worker_id = worker;
  r.check = name;
  r.state = state;
  r.at = r.state_since = clock().now() - 10min;
  return r;
}

alerts::AlertRecord open_alert(int64_t id, alerts::Severity severity) {
  alerts::AlertRecord a;
  a.id = id;
  a.key = "check:w1:disk";
  a.worker_id = "w1";
  a.check = "disk";
  a.severity = severity;
  a.first_seen = a.last_seen = clock().now() - 2h;
  return a;
}

// Healthy on its own: one idle worker, an OK check, a backup an hour ago.
ReportInputs healthy_inputs() {
  ReportInputs in;
  in.workers = {worker("w1")};
  in.latest_checks = {check("w1", "disk", CheckState::ok)};
  in.last_backup = clock().now() - 1h;
  return in;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(text) != std::string::npos; });
}

TEST(ReportHealthScore, WeighsMemoryCpuAndLoadPerCore) {
  const auto load = worker_load(worker("w1"));
  ASSERT_TRUE(load.has_value());
  EXPECT_DOUBLE_EQ(load->memory_percent, 50);
  EXPECT_DOUBLE_EQ(load->load_percent, 50);
  EXPECT_EQ(load->cores, 4u);
  EXPECT_DOUBLE_EQ(health_score(*load), 41.0);

  auto busy = worker("w2");
  v1::Resources resources;
  ASSERT_TRUE(resources.ParseFromString(busy.resources_pb));
  resources.set_load1(16);  // 400 % of 4 cores counts as 100
  resources.set_cpu_percent(100);
  resources.set_memory_available_bytes(0);
  busy.resources_pb = resources.SerializeAsString();
  EXPECT_DOUBLE_EQ(health_score(*worker_load(busy)), 100.0);

  auto silent = worker("w3");
  silent.resources_pb.clear();
  EXPECT_FALSE(worker_load(silent).has_value());
}

TEST(ReportOverallStatus, FollowsTheDocumentedRule) {
  EXPECT_EQ(overall_status(healthy_inputs()).status, OverallStatus::healthy);

  auto warning = healthy_inputs();
  warning.latest_checks.push_back(check("w1", "load", CheckState::unknown));
  EXPECT_EQ(overall_status(warning).status, OverallStatus::degraded);

  auto low_alert = healthy_inputs();
  low_alert.open_alerts = {open_alert(1, alerts::Severity::high)};
  EXPECT_EQ(overall_status(low_alert).status, OverallStatus::degraded);

  auto critical_alert = healthy_inputs();
  critical_alert.open_alerts = {open_alert(1, alerts::Severity::critical)};
  EXPECT_EQ(overall_status(critical_alert).status, OverallStatus::unhealthy);

  auto critical_check = warning;
  critical_check.latest_checks.push_back(check("w1", "disk", CheckState::critical));
  const auto verdict = overall_status(critical_check);
  EXPECT_EQ(verdict.status, OverallStatus::unhealthy);
  EXPECT_EQ(verdict.reasons.size(), 2u);

  auto stopped = healthy_inputs();
  stopped.workers.push_back(offline(worker("w2"), "worker stopped: shutdown"));
  EXPECT_EQ(overall_status(stopped).status, OverallStatus::healthy) << "a clean stop is not an outage";
  auto lost = healthy_inputs();
  lost.workers.push_back(offline(worker("w2"), "no heartbeat for 15s"));
  EXPECT_EQ(overall_status(lost).status, OverallStatus::unhealthy);
}

TEST(ReportRecommendations, NameFullDisksLostWorkersUnackedCriticalAlertsAndMissingBackups) {
  EXPECT_TRUE(recommendations(healthy_inputs(), clock().now()).empty());

  ReportInputs in;
  in.workers = {worker("w1", 96), worker("w2", 91), worker("w3", 82), worker("w4", 50),
                offline(worker("w5"), "no heartbeat for 15s")};
  auto acked = open_alert(2, alerts::Severity::critical);
  acked.acknowledged = true;
  in.open_alerts = {open_alert(1, alerts::Severity::critical), acked, open_alert(3, alerts::Severity::medium)};
  in.stuck_cases = {{"c-7", 1, 2, "w1", "stuck", "no progress for 2h", clock().now() - 30min}};
  const auto lines = recommendations(in, clock().now());

  EXPECT_TRUE(mentions(lines, "Disk /data on w1 is 96.0% full (over 95%)"));
  EXPECT_TRUE(mentions(lines, "Disk /data on w2 is 91.0% full (over 90%)"));
  EXPECT_TRUE(mentions(lines, "Disk /data on w3 is 82.0% full (over 80%)"));
  EXPECT_FALSE(mentions(lines, "on w4"));
  EXPECT_TRUE(mentions(lines, "Worker w5 has been offline for 3h 0m (no heartbeat for 15s)"));
  EXPECT_TRUE(mentions(lines, "Critical alert 1 (check:w1:disk) has been open and unacknowledged for 2h 0m"));
  EXPECT_FALSE(mentions(lines, "alert 2 ")) << "acknowledged";
  EXPECT_FALSE(mentions(lines, "alert 3 ")) << "not critical";
  EXPECT_TRUE(mentions(lines, "Case c-7 has been stuck for 30m on w1 (no progress for 2h)"));
  EXPECT_TRUE(mentions(lines, "No successful sqlite_backup run is recorded"));
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines.front().find("over 95%"), std::string::npos) << "the most urgent first";
  EXPECT_NE(lines.back().find("sqlite_backup"), std::string::npos) << "planning advice last";

  in.last_backup = clock().now() - 30h;
  EXPECT_TRUE(mentions(recommendations(in, clock().now()), "The last successful sqlite_backup ran 1d 6h ago"));
}

class ReportRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("baton-report-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const auto database = (dir_ / "baton.db").string();
    auto store = ConductorStore::open(database);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    ApiDeps deps;
    deps.database_path = database;
    deps.clock = &clock();
    ConductorApi(deps).install(router_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  json report() {
    http::ServerRequest request;
    request.method = "GET";
    request.target = request.path = "/api/v1/report";
    const auto response = router_.dispatch(request);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body);
  }

  void add_case(const std::string& id, CaseStatus status) {
    CaseRecord c;
    c.id = id;
    c.workflow = "dose";
    c.status = status;
    c.created_at = c.updated_at = clock().now() - 1h;
    ASSERT_TRUE(store_->insert_case(c).ok());
  }

  void backup_run(const std::string& command, std::chrono::hours ago, const std::string& status) {
    MaintenanceRunRecord run;
    run.command_id = command;
    run.worker_id = "w1";
    run.task = "nightly-backup";
    run.action = "sqlite_backup";
    run.requested_at = clock().now() - ago;
    ASSERT_TRUE(store_->insert_maintenance_run(run).ok());
    run.status = status;
    run.finished_at = run.requested_at + 1min;
    ASSERT_TRUE(store_->finish_maintenance_run(run).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<ConductorStore> store_;
  http::Router router_;
};

TEST_F(ReportRouteTest, ReadsWorkersChecksAlertsCasesAndBackupsFromTheDatabase) {
  ASSERT_TRUE(store_->upsert_worker(worker("w1", 92)).ok());
  ASSERT_TRUE(store_->upsert_worker(offline(worker("w2"), "worker stopped: maintenance")).ok());
  auto disk = check("w1", "disk", CheckState::warning);
  disk.command_id = "k1";
  ASSERT_TRUE(store_->record_check_result(disk).ok());
  alerts::EngineOutput out;
  out.alerts = {open_alert(1, alerts::Severity::medium)};
  ASSERT_TRUE(alerts::AlertStore(store_->db()).save(out).ok());
  add_case("c-1", CaseStatus::executing);
  add_case("c-2", CaseStatus::completed);
  add_case("c-3", CaseStatus::queued);
  for (const auto* id : {"c-1", "c-2"})
    ASSERT_TRUE(store_->add_case_problem({id, 0, 1, "w1", "stuck", "silent job", clock().now() - 20min}).ok());
  backup_run("b-old", 40h, "OK");
  backup_run("b-new", 2h, "FAILED");

  const auto body = report();
  EXPECT_EQ(body["overall_status"], "degraded") << body["status_reasons"];
  EXPECT_EQ(body["generated_at"], "2023-11-14T22:15:00.000Z");
  ASSERT_EQ(body["workers"].size(), 2u);
  const auto& w1 = body["workers"][0];
  EXPECT_DOUBLE_EQ(w1["health_score"].get<double>(), 41.0);
  EXPECT_DOUBLE_EQ(w1["disks"][0]["used_percent"].get<double>(), 92.0);
  EXPECT_EQ(w1["failing_checks"], json::array({{{"check", "disk"}, {"state", "WARNING"}}}));
  const auto& w2 = body["workers"][1];
  EXPECT_EQ(w2["status"], "offline");
  EXPECT_EQ(w2["expected_online"], false);
  EXPECT_TRUE(w2["health_score"].is_null()) << "a stopped worker's last heartbeat is stale";
  EXPECT_EQ(body["failing_checks"].size(), 1u);
  EXPECT_EQ(body["open_alerts"][0]["id"], 1);
  EXPECT_EQ(body["cases"]["counts"]["EXECUTING"], 1);
  EXPECT_EQ(body["cases"]["counts"]["QUEUED"], 1);
  ASSERT_EQ(body["cases"]["stuck"].size(), 1u) << "c-2 completed, so it is no longer stuck";
  EXPECT_EQ(body["cases"]["stuck"][0]["case_id"], "c-1");
  EXPECT_EQ(body["last_backup"], "2023-11-13T06:16:00.000Z") << "the failed run does not count";
  EXPECT_NE(body["health_score_formula"].get<std::string>().find("0.4*memory_percent"), std::string::npos);
  EXPECT_NE(body["overall_status_rule"].get<std::string>().find("unhealthy"), std::string::npos);

  std::vector<std::string> lines = body["recommendations"];
  EXPECT_TRUE(mentions(lines, "Disk /data on w1 is 92.0% full"));
  EXPECT_TRUE(mentions(lines, "Case c-1 has been stuck"));
  EXPECT_TRUE(mentions(lines, "The last successful sqlite_backup ran 1d 15h ago"));
  EXPECT_FALSE(mentions(lines, "w2")) << "stopped on purpose";
}

TEST_F(ReportRouteTest, AnEmptyDatabaseIsHealthyButAsksForBackups) {
  const auto body = report();
  EXPECT_EQ(body["overall_status"], "healthy");
  EXPECT_TRUE(body["workers"].empty());
  EXPECT_TRUE(body["last_backup"].is_null());
  EXPECT_EQ(body["cases"]["counts"]["COMPLETED"], 0);
  ASSERT_EQ(body["recommendations"].size(), 1u);
  EXPECT_NE(body["recommendations"][0].get<std::string>().find("sqlite_backup"), std::string::npos);
}

}  // namespace
}  // namespace baton::conductor
