#include "conductor/alerts/alert_engine.hpp"
#include "conductor/alerts/alert_store.hpp"
#include "conductor/http/metrics_routes.hpp"
#include "tests/unit/dashboard/api_fixture.hpp"
#include "tests/unit/metrics/exposition_parser.hpp"

namespace baton::conductor {
namespace {

using metrics::testing::parse_exposition;
using metrics::testing::ParsedFamily;
using metrics::testing::sample_value;

class MetricsRouteTest : public testing::ApiFixture {
 protected:
  std::vector<ParsedFamily> scrape() {
    const auto response = get("/metrics");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    auto parsed = parse_exposition(response.body);
    EXPECT_TRUE(parsed.ok()) << (parsed ? "" : parsed.error().message) << "\n" << response.body;
    return parsed ? *parsed : std::vector<ParsedFamily>{};
  }

  double value(const std::vector<ParsedFamily>& families, const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
    auto found = sample_value(families, name, labels);
    EXPECT_TRUE(found.ok()) << name;
    return found ? *found : -1;
  }
};

TEST_F(MetricsRouteTest, ExportsWhatTheDatabaseKnowsAtScrapeTime) {
  seed_workers();
  seed_cases();
  start_api();
  const auto m = scrape();

  EXPECT_EQ(value(m, "baton_database_up"), 1);
  EXPECT_EQ(value(m, "baton_cases", {{"status", "EXECUTING"}}), 1);
  EXPECT_EQ(value(m, "baton_cases", {{"status", "COMPLETED"}}), 2);
  EXPECT_EQ(value(m, "baton_cases", {{"status", "CANCELLED"}}), 0);
  EXPECT_EQ(value(m, "baton_case_oldest_update_age_seconds", {{"status", "QUEUED"}}), 600);
  EXPECT_EQ(value(m, "baton_case_oldest_update_age_seconds", {{"status", "PROCESSING"}}), 0);
  EXPECT_EQ(value(m, "baton_workers", {{"state", "online"}}), 1);
  EXPECT_EQ(value(m, "baton_workers", {{"state", "offline"}}), 1);
  EXPECT_EQ(value(m, "baton_worker_up", {{"worker", "cpu-02"}}), 0);
  EXPECT_EQ(value(m, "baton_worker_heartbeat_age_seconds", {{"worker", "gpu-01"}}), 10);
  EXPECT_EQ(value(m, "baton_worker_cpu_utilization_ratio", {{"worker", "gpu-01"}}), 0.4);
  EXPECT_EQ(value(m, "baton_worker_memory_available_bytes", {{"worker", "gpu-01"}}), 4 * kGiB);
  EXPECT_EQ(value(m, "baton_worker_disk_used_bytes", {{"worker", "gpu-01"}, {"path", "/data"}}), 200);
  EXPECT_EQ(value(m, "baton_worker_gpu_utilization_ratio", {{"worker", "gpu-01"}, {"gpu", "0"}}), 0.8);
  EXPECT_EQ(value(m, "baton_worker_gpu_memory_used_bytes", {{"worker", "gpu-01"}, {"gpu", "0"}}), 1000.0 * 1024 * 1024);
  EXPECT_EQ(value(m, "baton_worker_gpu_temperature_celsius", {{"worker", "gpu-01"}, {"gpu", "0"}}), 70);
  // An offline worker's last sample is history: no resource gauges for it.
  EXPECT_FALSE(sample_value(m, "baton_worker_cpu_utilization_ratio", {{"worker", "cpu-02"}}).ok());
  EXPECT_EQ(value(m, "baton_broker_connected"), 1);
  EXPECT_EQ(value(m, "baton_conductor_info", {{"version", "9.9.9-test"}}), 1);
  EXPECT_EQ(value(m, "baton_event_stream_clients"), 0);
}

TEST_F(MetricsRouteTest, ChecksPerfdataAndOpenAlertsBecomeLabelledGauges) {
  {
    auto& store = store_;
    ASSERT_TRUE(store->begin_batch().ok());
    CheckResultRecord disk;
    disk.worker_id = "gpu-01";
    disk.check = "disk_root";
    disk.command_id = "c1";
    disk.state = CheckState::warning;
    disk.perfdata_json = R"([{"label":"/","value":83.5,"uom":"%","warn":"80"}])";
    disk.at = clock_.now();
    ASSERT_TRUE(store->record_check_result(disk).ok());
    alerts::AlertEngine engine(alerts::default_alerts_config());
    alerts::CaseProblem failed{"case-9", alerts::CaseProblem::Kind::failed, "step failed", clock_.now()};
    ASSERT_TRUE(alerts::AlertStore(store->db()).save(engine.observe(failed)).ok());
    ASSERT_TRUE(store->commit_batch().ok());
  }
  start_api();
  const auto m = scrape();
  EXPECT_EQ(value(m, "baton_check_perfdata", {{"worker", "gpu-01"}, {"check", "disk_root"}, {"label", "/"}, {"uom", "%"}}),
            83.5);
  EXPECT_EQ(value(m, "baton_check_state", {{"worker", "gpu-01"}, {"check", "disk_root"}}), 1);
  EXPECT_EQ(value(m, "baton_checks", {{"state", "WARNING"}}), 1);
  EXPECT_EQ(value(m, "baton_checks", {{"state", "CRITICAL"}}), 0);
  EXPECT_EQ(value(m, "baton_alerts_open", {{"severity", "high"}}), 1) << "a failed case is high by default";
  EXPECT_EQ(value(m, "baton_alerts_open", {{"severity", "critical"}}), 0);
}

TEST_F(MetricsRouteTest, RendersTheRegistryAndCountsRequestsByRoutePattern) {
  registry_.counter("baton_dead_letters_total", "Messages dead-lettered.", {"reason"}).with({"undecodable"}).inc(2);
  start_api();
  EXPECT_EQ(get("/api/v1/workers/some%20worker").status, 404);
  EXPECT_EQ(get("/api/v1/workers").status, 200);
  EXPECT_EQ(get("/no/such/thing").status, 404);
  http::Request post;
  post.method = "POST";
  post.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/v1/workers";
  post.body = "{}";
  EXPECT_EQ(http::fetch(post)->status, 405);
  post.method = "BREW";
  EXPECT_EQ(http::fetch(post)->status, 405);
  const auto m = scrape();

  EXPECT_EQ(value(m, "baton_dead_letters_total", {{"reason", "undecodable"}}), 2);
  EXPECT_EQ(
      value(m, "baton_http_requests_total", {{"method", "GET"}, {"route", "/api/v1/workers/{id}"}, {"code", "404"}}),
      1);
  EXPECT_EQ(value(m, "baton_http_requests_total", {{"method", "GET"}, {"route", "/api/v1/workers"}, {"code", "200"}}),
            1);
  EXPECT_EQ(value(m, "baton_http_requests_total", {{"method", "GET"}, {"route", "unmatched"}, {"code", "404"}}), 1);
  // A method a route does not take, or no known method at all, is not a route.
  EXPECT_EQ(value(m, "baton_http_requests_total", {{"method", "POST"}, {"route", "unmatched"}, {"code", "405"}}), 1);
  EXPECT_EQ(value(m, "baton_http_requests_total", {{"method", "other"}, {"route", "unmatched"}, {"code", "405"}}), 1);
  EXPECT_EQ(value(m, "baton_http_request_duration_seconds_count", {{"method", "GET"}, {"route", "/api/v1/workers"}}),
            1);
}

TEST_F(MetricsRouteTest, AnUnreadableDatabaseStillGivesAValidScrape) {
  registry_.gauge("baton_queue_depth", "q").with().set(3);
  start_api((dir_ / "missing" / "baton.db").string());
  const auto m = scrape();
  EXPECT_EQ(value(m, "baton_database_up"), 0);
  EXPECT_EQ(value(m, "baton_queue_depth"), 3);
  EXPECT_FALSE(sample_value(m, "baton_cases", {{"status", "QUEUED"}}).ok());
}

}  // namespace
}  // namespace baton::conductor
