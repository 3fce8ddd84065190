#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/http/server.hpp"
#include "common/sqlite/database.hpp"
#include "tests/integration/support/broker_env.hpp"
#include "tests/integration/support/system.hpp"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::System;
namespace fs = std::filesystem;

// A real HTTP server standing in for the team's chat webhook.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    http::Router router;
    router.add("POST", "/hook", [this](const http::ServerRequest& request) {
      std::lock_guard lock(mu_);
      received_.push_back(nlohmann::json::parse(request.body, nullptr, false));
      return http::ServerResponse{200, "application/json", "{}", {}};
    });
    server_ = std::make_unique<http::Server>("127.0.0.1", 0, std::move(router));
    EXPECT_TRUE(server_->start().ok());
  }
  ~WebhookReceiver() { server_->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook"; }
  std::vector<nlohmann::json> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::vector<nlohmann::json> of_kind(const std::string& kind) {
    std::vector<nlohmann::json> out;
    for (const auto& m : received())
      if (m["kind"] == kind) out.push_back(m);
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<nlohmann::json> received_;
  std::unique_ptr<http::Server> server_;
};

class Ops : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_ = std::make_unique<System>(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  // One value of the conductor's database, read-only beside the running conductor.
  int64_t count(const std::string& sql) {
    auto db = sqlite::Database::open((sys_->dir() / "baton.db").string(), true);
    if (!db) return -1;
    auto stmt = db->prepare(sql);
    if (!stmt) return -1;
    auto row = (*stmt)->step();
    if (!row || !*row) return -1;
    return (*stmt)->column_int(0);
  }
  std::string text(const std::string& sql) {
    auto db = sqlite::Database::open((sys_->dir() / "baton.db").string(), true);
    if (!db) return "";
    auto stmt = db->prepare(sql);
    if (!stmt) return "";
    auto row = (*stmt)->step();
    if (!row || !*row) return "";
    return (*stmt)->column_text(0);
  }

  std::unique_ptr<System> sys_;
  WebhookReceiver hook_;
};

TEST_F(Ops, AFailingCheckRaisesOneAlertThatClimbsTheLevelsInOrderAndResolves) {
  const auto flag = sys_->dir() / "flag";
  sys_->start_conductor(
      "checks:\n"
      "  flag_present:\n    type: file\n    params: {path: \"" + flag.string() + "\"}\n    every: 1s\n"
      "  dummy_plugin:\n    type: nagios\n    params: {plugin: check_dummy}\n"
      "    args: [\"1\", \"a warning from a real plugin\"]\n    every: 1s\n"
      "alerts:\n  soft_states: 2\n"
      "  channels:\n    hook: {type: webhook, url: \"" + hook_.url() + "\", format: json}\n"
      "  escalation:\n    high:\n      levels:\n"
      "        - {name: team, after: 0s, channels: [hook], repeat: 1h}\n"
      "        - {name: senior, after: 2s, channels: [hook], repeat: 1h}\n"
      "        - {name: manager, after: 4s, channels: [hook], repeat: 1h}\n");
  sys_->start_worker("w1", "300ms", "[test]",
                     "checks:\n  plugins: [check_dummy]\n  state_dir: " + (sys_->dir() / "checks").string() + "\n");

  ASSERT_TRUE(eventually([&] { return hook_.received().size() >= 3; }, 30s)) << hook_.received().size();
  const auto first = hook_.received();
  EXPECT_EQ(first[0]["kind"], "problem");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i]["level"], i) << first[i].dump();
    EXPECT_EQ(first[i]["alert_id"], first[0]["alert_id"]);
    EXPECT_EQ(first[i]["key"], "check:w1/flag_present");
    EXPECT_EQ(first[i]["state"], "CRITICAL");
  }

  std::ofstream(flag) << "up";
  ASSERT_TRUE(eventually([&] { return hook_.of_kind("resolved").size() == 1; }, 20s));
  EXPECT_EQ(hook_.of_kind("resolved")[0]["alert_id"], first[0]["alert_id"]);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts WHERE key = 'check:w1/flag_present'"), 1) << "exactly one alert";
  EXPECT_EQ(text("SELECT state FROM alerts WHERE key = 'check:w1/flag_present'"), "resolved");

  // The real plugin's verdict travelled worker → conductor with its text.
  EXPECT_EQ(text("SELECT state FROM check_latest WHERE worker_id = 'w1' AND check_name = 'dummy_plugin'"), "WARNING");
  EXPECT_NE(text("SELECT output FROM check_latest WHERE check_name = 'dummy_plugin'").find("a warning from a real plugin"),
            std::string::npos);
  EXPECT_GE(count("SELECT COUNT(*) FROM check_history WHERE check_name = 'flag_present'"), 3);
}

TEST_F(Ops, RemediationRestartsTheServiceAndABudgetOfTwoStopsTheThirdAndEscalates) {
  const auto pid = sys_->dir() / "svc.pid";
  sys_->start_conductor(
      "checks:\n  svc_up:\n    type: file\n    params: {path: \"" + pid.string() + "\"}\n    every: 1s\n"
      "alerts:\n  soft_states: 1\n"
      "  channels:\n    hook: {type: webhook, url: \"" + hook_.url() + "\", format: json}\n"
      "  escalation:\n    high:\n      levels:\n"
      "        - {name: team, after: 0s, channels: [hook], repeat: 1h}\n"
      "        - {name: senior, after: 1h, channels: [hook], repeat: 1h}\n"
      "  remediation:\n"
      "    - {check: svc_up, state: CRITICAL, action: restart_service, params: {service: svc}, cooldown: 0s,\n"
      "       budget_per_hour: 2, verify_after: 1s}\n");
  sys_->start_worker("w1", "300ms", "[test]",
                     "maintenance:\n  allowed_roots: [\"" + sys_->dir().string() + "\"]\n"
                     "  services:\n    svc: {argv: [/usr/bin/touch, \"" + pid.string() + "\"], timeout: 10s}\n");

  // Twice: the service is down, the restart brings it back, the re-check passes.
  for (int round = 1; round <= 2; ++round) {
    ASSERT_TRUE(eventually([&] { return fs::exists(pid); }, 30s)) << "restart " << round << " did not run";
    ASSERT_TRUE(eventually([&] { return hook_.of_kind("resolved").size() == static_cast<size_t>(round); }, 30s))
        << "round " << round;
    ASSERT_TRUE(eventually([&] {
      return count("SELECT COUNT(*) FROM remediation_runs WHERE outcome = 'verified'") == round;
    }, 30s)) << text("SELECT group_concat(id || ':' || outcome || ':' || message, ' | ') FROM remediation_runs");
    fs::remove(pid);  // it falls over again
  }
  // Third time: the budget of 2 per hour is spent; nothing restarts it, and
  // the alert escalates saying so.
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM alert_events WHERE message LIKE '%budget of 2 restart_service runs%'") >= 1;
  }, 30s)) << hook_.received().size();
  EXPECT_FALSE(fs::exists(pid)) << "a third restart ran";
  EXPECT_EQ(count("SELECT COUNT(*) FROM maintenance_runs WHERE task = 'remediation' AND status = 'OK'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM remediation_runs"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM remediation_runs WHERE outcome = 'verified'"), 2);
  EXPECT_GE(hook_.of_kind("escalation").size(), 1u) << "the spent budget escalates the open alert";
}

TEST_F(Ops, BatonctlRunsACleanupDryThenForRealAndReportsChecksAndHealth) {
  const auto scratch = sys_->dir() / "scratch";
  fs::create_directories(scratch);
  const auto old_time = fs::file_time_type::clock::now() - std::chrono::hours(24 * 10);
  for (const char* name : {"a.tmp", "b.tmp", "keep.log"}) {
    std::ofstream(scratch / name) << "0123456789";
    fs::last_write_time(scratch / name, old_time);
  }
  std::ofstream(scratch / "fresh.tmp") << "new";
  sys_->start_conductor(
      "checks:\n  scratch_disk:\n    type: disk\n    params: {path: \"" + scratch.string() + "\"}\n    every: 1s\n"
      "maintenance:\n  scratch_cleanup:\n    action: cleanup\n"
      "    params: {dir: \"" + scratch.string() + "\", pattern: \"*.tmp\", older_than: 7d}\n");
  sys_->start_worker("w1", "300ms", "[test]",
                     "maintenance:\n  allowed_roots: [\"" + sys_->dir().string() + "\"]\n");
  ASSERT_TRUE(eventually([&] { return sys_->worker("w1")["status"] == "online"; }, 15s));

  std::string out;
  ASSERT_EQ(sys_->batonctl("action run scratch_cleanup --dry-run --wait", &out), 0) << out;
  EXPECT_NE(out.find("a.tmp"), std::string::npos) << out;
  EXPECT_NE(out.find("b.tmp"), std::string::npos) << out;
  EXPECT_EQ(out.find("fresh.tmp"), std::string::npos) << "too young: " << out;
  for (const char* name : {"a.tmp", "b.tmp", "keep.log", "fresh.tmp"})
    EXPECT_TRUE(fs::exists(scratch / name)) << "a dry run deleted " << name;

  ASSERT_EQ(sys_->batonctl("action run scratch_cleanup --wait", &out), 0) << out;
  EXPECT_FALSE(fs::exists(scratch / "a.tmp"));
  EXPECT_FALSE(fs::exists(scratch / "b.tmp"));
  EXPECT_TRUE(fs::exists(scratch / "keep.log")) << "not matched by the pattern";
  EXPECT_TRUE(fs::exists(scratch / "fresh.tmp")) << "not old enough";

  ASSERT_EQ(sys_->batonctl("action runs --json", &out), 0) << out;
  const auto runs = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(runs.is_array()) << out;
  EXPECT_EQ(runs.size(), 2u) << "the dry run and the real one: " << out;

  ASSERT_TRUE(eventually([&] {
    std::string json;
    return sys_->batonctl("check list --json", &json) == 0 && json.find("scratch_disk") != std::string::npos;
  }, 20s));
  const auto report = sys_->dir() / "daily_health.json";
  ASSERT_EQ(sys_->batonctl("report --output " + report.string(), &out), 0) << out;
  std::ifstream in(report);
  const auto health = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(health.is_object()) << out;
  EXPECT_TRUE(health.contains("overall_status"));
  EXPECT_EQ(health["workers"][0]["id"], "w1") << health.dump(1);
  EXPECT_TRUE(health["workers"][0]["health_score"].is_number()) << health.dump(1);
}

TEST_F(Ops, MaintenanceOutsideTheAllowedRootsIsRefusedWithTheReason) {
  sys_->start_conductor(
      "maintenance:\n  etc_cleanup:\n    action: cleanup\n    params: {dir: /etc, pattern: \"*\", older_than: 1d}\n");
  sys_->start_worker("w1", "300ms", "[test]",
                     "maintenance:\n  allowed_roots: [\"" + sys_->dir().string() + "\"]\n");
  ASSERT_TRUE(eventually([&] { return sys_->worker("w1")["status"] == "online"; }, 15s));
  std::string out;
  EXPECT_EQ(sys_->batonctl("action run etc_cleanup --dry-run --wait", &out), 1) << out;
  EXPECT_NE(out.find("allowed"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists("/etc/hostname") || fs::exists("/etc/passwd"));
}

}  // namespace
}  // namespace baton
