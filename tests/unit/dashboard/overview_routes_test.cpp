#include "conductor/http/overview_routes.hpp"

#include <fstream>
#include <sstream>

#include "tests/unit/dashboard/api_fixture.hpp"
#include "tests/unit/dashboard/sse_client.hpp"

namespace baton::conductor {
namespace {

using nlohmann::json;

class OverviewTest : public testing::ApiFixture {};

std::string source_file(const std::string& relative) {
  std::ifstream in(std::string(BATON_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const json* find_by_id(const json& list, const std::string& id) {
  for (const auto& item : list)
    if (item["id"] == id) return &item;
  return nullptr;
}

TEST_F(OverviewTest, ShowsConductorComponentsWorkersAndCases) {
  seed_workers();
  seed_cases();
  start_api();
  const auto o = get_json("/api/v1/overview");

  EXPECT_EQ(o["conductor"]["version"], "9.9.9-test");
  EXPECT_EQ(o["conductor"]["uptime_s"], 125);
  EXPECT_EQ(o["conductor"]["broker_connected"], true);
  EXPECT_EQ(o["status"], "degraded");  // one worker offline
  EXPECT_EQ(o["components"]["database"]["status"], "up");
  EXPECT_EQ(o["components"]["workers"]["status"], "degraded");
  EXPECT_EQ(o["components"]["workers"]["online"], 1);
  EXPECT_EQ(o["management_url"], "http://127.0.0.1:15672/");

  ASSERT_EQ(o["workers"].size(), 2u);
  const auto* gpu = find_by_id(o["workers"], "gpu-01");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ((*gpu)["heartbeat_age_s"], 10.0);
  // 0.4 x 75 memory + 0.3 x 40 CPU + 0.3 x 62.5 load (2.5 on 4 slots) = 60.75
  EXPECT_EQ((*gpu)["health_score"], 61);
  EXPECT_EQ((*gpu)["resources"]["gpus"][0]["temperature_celsius"], 70.0);
  const auto* offline = find_by_id(o["workers"], "cpu-02");
  ASSERT_NE(offline, nullptr);
  EXPECT_TRUE((*offline)["health_score"].is_null());
  EXPECT_EQ((*offline)["status"], "offline");

  const auto& cases = o["cases"];
  EXPECT_EQ(
      cases["counts"],
      (json{{"QUEUED", 1}, {"PROCESSING", 0}, {"EXECUTING", 1}, {"COMPLETED", 2}, {"FAILED", 1}, {"CANCELLED", 0}}));
  ASSERT_EQ(cases["active"].size(), 1u);  // queued cases are not active
  EXPECT_EQ(cases["active"][0]["id"], "c-run");
  EXPECT_EQ(cases["active"][0]["step_name"], "simulate");
  EXPECT_EQ(cases["active"][0]["progress"], 45);
  ASSERT_EQ(cases["queued"].size(), 1u);
  EXPECT_EQ(cases["queued"][0]["id"], "c-wait");
  std::vector<std::string> recent;
  for (const auto& c : cases["recent"]) recent.push_back(c["id"]);
  EXPECT_EQ(recent, (std::vector<std::string>{"c-new", "c-bad", "c-old"}));  // last finished first

  EXPECT_EQ(o["alerts"]["open"], json::array());
  EXPECT_EQ(o["checks"]["failing"], json::array());
}

TEST_F(OverviewTest, ThroughputCountsCompletionsPerMinuteOldestFirst) {
  seed_workers();
  seed_cases();
  complete_at("c-new", std::chrono::seconds(100));  // same minute as c-new's first completion
  complete_at("c-old", std::chrono::minutes(31));   // outside the window
  start_api();
  const auto t = get_json("/api/v1/overview")["throughput"];
  EXPECT_EQ(t["window_minutes"], 30);
  const auto per_minute = t["cases_completed_per_min"].get<std::vector<unsigned>>();
  ASSERT_EQ(per_minute.size(), 30u);
  std::vector<unsigned> expected(30, 0);
  expected[25] = 1;  // 300 s ago: (1800 - 300) / 60 minutes after the window start
  expected[28] = 2;  // 90 s and 100 s ago
  EXPECT_EQ(per_minute, expected);
}

TEST_F(OverviewTest, AnEmptyDatabaseGivesHonestEmptyLists) {
  start_api();
  const auto o = get_json("/api/v1/overview");
  EXPECT_EQ(o["workers"], json::array());
  EXPECT_EQ(o["cases"]["active"], json::array());
  EXPECT_EQ(o["cases"]["recent"], json::array());
  EXPECT_EQ(o["components"]["workers"]["status"], "down");
  EXPECT_EQ(o["throughput"]["cases_completed_per_min"], json(std::vector<unsigned>(30, 0)));
}

TEST_F(OverviewTest, AnUnreadableDatabaseIsReportedNotFatal) {
  start_api((dir_ / "missing" / "baton.db").string());
  const auto o = get_json("/api/v1/overview");
  EXPECT_EQ(o["status"], "unhealthy");
  EXPECT_EQ(o["components"]["database"]["status"], "down");
  EXPECT_FALSE(o["components"]["database"]["error"].get<std::string>().empty());
  EXPECT_EQ(o["components"]["workers"]["status"], "unknown");
}

TEST_F(OverviewTest, HealthScoreNeedsAnOnlineWorkerWithASample) {
  WorkerRecord worker;
  worker.online = true;
  EXPECT_FALSE(worker_health_score(worker).has_value());
  v1::Resources idle;
  idle.set_memory_total_bytes(100);
  idle.set_memory_available_bytes(100);
  worker.resources_pb = idle.SerializeAsString();
  EXPECT_EQ(worker_health_score(worker), 0) << "0 is idle, the report's formula";
  v1::Resources saturated;
  saturated.set_memory_total_bytes(100);
  saturated.set_cpu_percent(100);
  saturated.set_load1(8);
  worker.slots = 2;
  worker.resources_pb = saturated.SerializeAsString();
  EXPECT_EQ(worker_health_score(worker), 100) << "memory, CPU and run queue all full";
  worker.online = false;
  EXPECT_FALSE(worker_health_score(worker).has_value());
}

TEST_F(OverviewTest, ServesTheEmbeddedDashboardWithAStrictPolicy) {
  start_api();
  const auto page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.body, source_file("conductor/http/dashboard/assets/index.html"));
  EXPECT_NE(page.headers.at("content-security-policy").find("script-src 'self'"), std::string::npos);

  const auto script = get("/dashboard/dashboard.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers.at("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body, source_file("conductor/http/dashboard/assets/dashboard.js"));
  EXPECT_EQ(get("/dashboard/dashboard.css").status, 200);
  EXPECT_EQ(get("/dashboard/secrets.txt").status, 404);
}

TEST_F(OverviewTest, TheApiStreamsPublishedEvents) {
  start_api();
  http::testing::SseClient client(server_->port());
  client.send_request("/api/v1/events");
  const auto head = client.read_head();
  ASSERT_TRUE(head.has_value());
  EXPECT_NE(head->find("text/event-stream"), std::string::npos);
  hub_->publish("case", R"({"id":"c-1","status":"COMPLETED"})");
  const auto event = client.next_event();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, "case");
  EXPECT_EQ(json::parse(event->data)["status"], "COMPLETED");
}

}  // namespace
}  // namespace baton::conductor
