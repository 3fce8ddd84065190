#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "conductor/alerts/alert_store.hpp"
#include "conductor/core/ops_service.hpp"
#include "conductor/http/api.hpp"
#include "conductor/http/ops_json.hpp"
#include "conductor/store/conductor_store.hpp"
#include "tests/unit/support/conductor_db_test.hpp"

namespace baton::conductor {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = testing::kApiToken;

// Keeps alerts, silences and windows in memory the way the engine answers:
// acks of unknown or resolved alerts are not_found, ids are assigned in order.
class FakeOpsService final : public OpsService {
 public:
  struct AckCall {
    int64_t id;
    std::string author, comment;
    std::optional<TimePoint> until;
  };

  Result<std::vector<TriggeredRun>> run_task(TaskDefinition::Kind, const std::string&, const std::string&,
                                             std::optional<bool>) override {
    return make_error(Errc::not_found, "no tasks here");
  }
  Result<std::vector<ScheduledTarget>> schedules() override { return std::vector<ScheduledTarget>{}; }
  Result<std::vector<TaskDefinition>> tasks() override { return std::vector<TaskDefinition>{}; }

  Result<alerts::AlertRecord> acknowledge(int64_t id, const std::string& author, const std::string& comment,
                                          std::optional<TimePoint> until) override {
    acks.push_back({id, author, comment, until});
    const auto it = open.find(id);
    if (it == open.end()) return make_error(Errc::not_found, "no open alert " + std::to_string(id));
    it->second.acknowledged = true;
    it->second.ack_author = author;
    it->second.ack_comment = comment;
    it->second.ack_until = until;
    return it->second;
  }
  Result<alerts::Silence> add_silence(alerts::Silence silence) override {
    silence.id = static_cast<int64_t>(live_silences.size()) + 1;
    live_silences.push_back(silence);
    return silence;
  }
  Status expire_silence(int64_t id) override {
    const auto before = live_silences.size();
    std::erase_if(live_silences, [id](const alerts::Silence& s) { return s.id == id; });
    if (live_silences.size() == before) return make_error(Errc::not_found, "no active silence " + std::to_string(id));
    return {};
  }
  Result<std::vector<alerts::Silence>> silences() override { return live_silences; }
  Result<alerts::MaintenanceWindow> add_maintenance(alerts::MaintenanceWindow window) override {
    window.id = static_cast<int64_t>(windows.size()) + 1;
    windows.push_back(window);
    return window;
  }
  Status end_maintenance(int64_t id) override {
    const auto before = windows.size();
    std::erase_if(windows, [id](const alerts::MaintenanceWindow& w) { return w.id == id; });
    if (windows.size() == before) return make_error(Errc::not_found, "no maintenance window " + std::to_string(id));
    return {};
  }
  Result<std::vector<alerts::MaintenanceWindow>> maintenance_windows() override { return windows; }

  std::map<int64_t, alerts::AlertRecord> open;
  std::vector<AckCall> acks;
  std::vector<alerts::Silence> live_silences;
  std::vector<alerts::MaintenanceWindow> windows;
};

class AlertRoutesTest : public testing::RouteTest {
 protected:
  void SetUp() override {
    RouteTest::SetUp();
    ApiDeps deps;
    deps.database_path = database_;
    deps.clock = &clock_;
    deps.ops = &ops_;
    deps.api_token = kToken;
    ConductorApi(deps).install(router_);
  }


  alerts::AlertRecord alert(int64_t id, const std::string& worker, const std::string& check, bool open) {
    alerts::AlertRecord a;
    a.id = id;
    a.key = "check:" + worker + ":" + check;
    a.worker_id = worker;
    a.check = check;
    a.labels = {"gpu"};
    a.severity = alerts::Severity::critical;
    a.last_state = alerts::CheckState::critical;
    a.open = open;
    a.hard = true;
    a.first_seen = clock_.now() - 1h;
    a.last_seen = clock_.now() - 1min;
    if (!open) a.resolved_at = clock_.now() - 30min;
    a.last_output = "DISK CRITICAL";
    return a;
  }

  // Alert 1 open on w1/disk with two events and a notification; alert 2 resolved.
  void seed_alerts() {
    alerts::EngineOutput out;
    out.alerts = {alert(1, "w1", "disk", true), alert(2, "w2", "load", false)};
    out.events = {{1, alerts::AlertEventType::opened, "opened", clock_.now() - 1h},
                  {1, alerts::AlertEventType::became_hard, "hard after 3", clock_.now() - 50min}};
    sqlite::Transaction tx(store_->db());
    ASSERT_TRUE(tx.begun().ok());
    alerts::AlertStore alert_store(store_->db());
    ASSERT_TRUE(alert_store.save(out).ok());
    alerts::NotificationAttempt sent;
    sent.alert_id = 1;
    sent.channel = "team";
    sent.at = clock_.now() - 50min;
    ASSERT_TRUE(alert_store.record_notification(sent).ok());
    ASSERT_TRUE(tx.commit().ok());
    ops_.open[1] = out.alerts[0];
  }

  FakeOpsService ops_;
};

TEST_F(AlertRoutesTest, ListShowsOpenAlertsUnlessAllAreAsked) {
  seed_alerts();
  const auto open = call("GET", "/api/v1/alerts");
  ASSERT_EQ(open.status, 200) << open.body;
  ASSERT_EQ(open.body["alerts"].size(), 1u);
  const auto& first = open.body["alerts"][0];
  EXPECT_EQ(first["id"], 1);
  EXPECT_EQ(first["severity"], "critical");
  EXPECT_EQ(first["state"], "open");
  EXPECT_EQ(first["last_state"], "CRITICAL");
  EXPECT_EQ(first["labels"], json::array({"gpu"}));
  EXPECT_DOUBLE_EQ(first["age_seconds"].get<double>(), 3600.0);
  EXPECT_TRUE(first["ack"].is_null());

  const auto all = call("GET", "/api/v1/alerts?all=1");
  ASSERT_EQ(all.body["alerts"].size(), 2u);
  EXPECT_EQ(all.body["alerts"][0]["id"], 2) << "newest first";
  EXPECT_EQ(all.body["alerts"][0]["state"], "resolved");
  EXPECT_EQ(call("GET", "/api/v1/alerts?all=1&limit=1").body["alerts"].size(), 1u);
}

TEST_F(AlertRoutesTest, ShowIncludesEventsAndNotifications) {
  seed_alerts();
  const auto shown = call("GET", "/api/v1/alerts/1");
  ASSERT_EQ(shown.status, 200) << shown.body;
  ASSERT_EQ(shown.body["events"].size(), 2u);
  EXPECT_EQ(shown.body["events"][1]["type"], "became_hard");
  EXPECT_EQ(shown.body["events"][1]["message"], "hard after 3");
  ASSERT_EQ(shown.body["notifications"].size(), 1u);
  EXPECT_EQ(shown.body["notifications"][0]["channel"], "team");
  EXPECT_EQ(shown.body["notifications"][0]["outcome"], "sent");
  EXPECT_EQ(call("GET", "/api/v1/alerts/2").body["state"], "resolved");
  EXPECT_EQ(call("GET", "/api/v1/alerts/99").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/alerts/abc").status, 400);
}

TEST_F(AlertRoutesTest, AckNeedsACommentAndTakesADurationOrATime) {
  seed_alerts();
  const auto acked = call("POST", "/api/v1/alerts/1/ack", R"({"comment": "replacing disk", "until": "2h"})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(acked.body["acknowledged"], true);
  EXPECT_EQ(acked.body["ack"]["comment"], "replacing disk");
  EXPECT_EQ(acked.body["ack"]["author"], "api");
  ASSERT_EQ(ops_.acks.size(), 1u);
  EXPECT_EQ(ops_.acks[0].until, clock_.now() + 2h);

  ASSERT_EQ(call("POST", "/api/v1/alerts/1/ack",
                 R"({"comment": "x", "author": "ana", "until": "2023-11-15T08:00:00+01:00"})")
                .status,
            200);
  EXPECT_EQ(ops_.acks[1].author, "ana");
  EXPECT_EQ(ops_.acks[1].until, parse_iso8601("2023-11-15T07:00:00Z").value());
  ASSERT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"comment": "no end"})").status, 200);
  EXPECT_FALSE(ops_.acks[2].until.has_value());

  const auto acks_before = ops_.acks.size();
  EXPECT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"until": "2h"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"comment": "  "})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"comment": "x", "until": "2000-01-01T00:00:00Z"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"comment": "x", "until": "soon"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"comment": "x", "untill": "2h"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/alerts/1/ack", R"({"comment": "x"})", "").status, 401);
  EXPECT_EQ(ops_.acks.size(), acks_before) << "refused requests never reach the core";
  EXPECT_EQ(call("POST", "/api/v1/alerts/2/ack", R"({"comment": "resolved already"})").status, 404);
}

TEST_F(AlertRoutesTest, SilencesAreAddedListedAndEnded) {
  const auto added = call("POST", "/api/v1/silences",
                          R"({"worker": "gpu-*", "check": "disk", "severity": "critical", "duration": "2h",
                              "expire_on_resolve": true, "comment": "disk swap", "author": "ana"})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.body["id"], 1);
  EXPECT_EQ(added.body["matchers"]["worker"], "gpu-*");
  EXPECT_EQ(added.body["matchers"]["severity"], "critical");
  EXPECT_EQ(added.body["active"], true);
  ASSERT_EQ(ops_.live_silences.size(), 1u);
  EXPECT_EQ(ops_.live_silences[0].starts_at, clock_.now());
  EXPECT_EQ(ops_.live_silences[0].ends_at, clock_.now() + 2h);
  EXPECT_TRUE(ops_.live_silences[0].expire_on_resolve);

  const auto later = call("POST", "/api/v1/silences",
                          R"({"label": "gpu", "starts_at": "2023-11-15T00:00:00Z", "ends_at": "2023-11-15T06:00:00Z",
                              "comment": "night works"})");
  ASSERT_EQ(later.status, 201) << later.body;
  EXPECT_EQ(later.body["active"], false) << "starts in the future";

  const auto listed = call("GET", "/api/v1/silences");
  ASSERT_EQ(listed.body["silences"].size(), 2u);
  EXPECT_EQ(call("DELETE", "/api/v1/silences/1").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/silences").body["silences"].size(), 1u);
  EXPECT_EQ(call("DELETE", "/api/v1/silences/1").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/silences/2", "", "").status, 401);
}

TEST_F(AlertRoutesTest, SilencesRefuseWhatWouldSurpriseLater) {
  const auto everything = call("POST", "/api/v1/silences", R"({"duration": "2h", "comment": "all"})");
  EXPECT_EQ(everything.status, 400);
  EXPECT_NE(everything.body["error"].get<std::string>().find("\"*\""), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/silences", R"({"worker": "w1", "comment": "no end"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/silences", R"({"worker": "w1", "duration": "2h"})").status, 400) << "no comment";
  EXPECT_EQ(call("POST", "/api/v1/silences",
                 R"({"worker": "w1", "duration": "2h", "ends_at": "2030-01-01T00:00:00Z", "comment": "x"})")
                .status,
            400)
      << "both ends";
  const auto dire = R"({"worker": "w1", "severity": "dire", "duration": "2h", "comment": "x"})";
  EXPECT_EQ(call("POST", "/api/v1/silences", dire).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/silences",
                 R"({"worker": "w1", "starts_at": "2023-11-14T20:00:00Z", "duration": "1h", "comment": "x"})")
                .status,
            400)
      << "already over";
  EXPECT_TRUE(ops_.live_silences.empty());
}

TEST_F(AlertRoutesTest, MaintenanceWindowsAreAddedListedAndEnded) {
  const auto added = call("POST", "/api/v1/maintenance-windows",
                          R"({"workers": ["gpu-01", "gpu-02"], "labels": ["rack-3"], "duration": "90m",
                              "comment": "firmware"})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.body["workers"], json::array({"gpu-01", "gpu-02"}));
  EXPECT_EQ(added.body["author"], "api");
  ASSERT_EQ(ops_.windows.size(), 1u);
  EXPECT_EQ(ops_.windows[0].ends_at, clock_.now() + 90min);
  EXPECT_EQ(call("GET", "/api/v1/maintenance-windows").body["maintenance_windows"].size(), 1u);
  EXPECT_EQ(call("POST", "/api/v1/maintenance-windows", R"({"duration": "1h", "comment": "who?"})").status, 400);
  const auto blank = R"({"workers": [""], "duration": "1h", "comment": "x"})";
  EXPECT_EQ(call("POST", "/api/v1/maintenance-windows", blank).status, 400);
  EXPECT_EQ(call("DELETE", "/api/v1/maintenance-windows/1").status, 200);
  EXPECT_TRUE(ops_.windows.empty());
  EXPECT_EQ(call("DELETE", "/api/v1/maintenance-windows/1").status, 404);
}

TEST_F(AlertRoutesTest, RemediationsAreListedNewestFirst) {
  alerts::AlertStore alert_store(store_->db());
  alerts::RemediationRun verified;
  verified.id = 1;
  verified.alert_key = "check:w1:nginx";
  verified.worker_id = "w1";
  verified.check = "nginx";
  verified.action = "restart_service";
  verified.params = {{"service", "nginx"}};
  verified.started_at = clock_.now() - 20min;
  verified.outcome = alerts::RemediationRun::Outcome::verified;
  verified.message = "nginx answers again";
  verified.finished_at = clock_.now() - 18min;
  ASSERT_TRUE(alert_store.save_remediation(verified).ok());
  auto running = verified;
  running.id = 2;
  running.started_at = clock_.now() - 1min;
  running.outcome = alerts::RemediationRun::Outcome::running;
  running.finished_at.reset();
  ASSERT_TRUE(alert_store.save_remediation(running).ok());

  const auto reply = call("GET", "/api/v1/remediations");
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_EQ(reply.body["remediations"].size(), 2u);
  EXPECT_EQ(reply.body["remediations"][0]["id"], 2);
  EXPECT_EQ(reply.body["remediations"][0]["in_flight"], true);
  EXPECT_TRUE(reply.body["remediations"][0]["duration_seconds"].is_null());
  const auto& done = reply.body["remediations"][1];
  EXPECT_EQ(done["outcome"], alerts::to_string(alerts::RemediationRun::Outcome::verified));
  EXPECT_EQ(done["params"]["service"], "nginx");
  EXPECT_DOUBLE_EQ(done["duration_seconds"].get<double>(), 120.0);
  EXPECT_EQ(call("GET", "/api/v1/remediations?limit=1").body["remediations"].size(), 1u);
}

TEST(Iso8601, ParsesZonesFractionsAndRefusesNonsense) {
  EXPECT_EQ(to_unix_ms(parse_iso8601("2023-11-14T22:13:20Z").value()), 1'700'000'000'000);
  EXPECT_EQ(to_unix_ms(parse_iso8601("2023-11-14 22:13:20.25").value()), 1'700'000'000'250);
  EXPECT_EQ(to_unix_ms(parse_iso8601("2023-11-15T00:13:20+02:00").value()), 1'700'000'000'000);
  EXPECT_EQ(to_unix_ms(parse_iso8601("2023-11-14T22:13").value()), 1'700'000'000'000 - 20'000);
  for (const char* bad : {"", "2023-11-14", "2023-02-30T00:00Z", "2023-11-14T25:00Z", "2023-11-14T22:13:20Zjunk",
                          "2023-11-14T22:13:20+2"})
    EXPECT_FALSE(parse_iso8601(bad).ok()) << bad;
}

}  // namespace
}  // namespace baton::conductor
