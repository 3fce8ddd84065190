#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "baton/events.pb.h"
#include "common/http/client.hpp"
#include "common/http/event_stream.hpp"
#include "common/http/server.hpp"
#include "common/metrics/registry.hpp"
#include "conductor/http/api.hpp"
#include "conductor/store/conductor_store.hpp"
#include "tests/unit/support/conductor_db_test.hpp"

namespace baton::conductor::testing {

// The conductor's API on a real HTTP server (port 0) over a real database,
// with a manual clock.
class ApiFixture : public ConductorDbTest {
 protected:
  static constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

  void TearDown() override {
    if (server_) server_->stop();
    ConductorDbTest::TearDown();
  }

  void start_api(std::string database_path = {}) {
    ApiDeps deps;
    deps.database_path = database_path.empty() ? database_ : std::move(database_path);
    deps.broker_connected = [] { return true; };
    deps.clock = &clock_;
    deps.version = "9.9.9-test";
    deps.started_at = clock_.now() - std::chrono::seconds(125);
    deps.management_url = "http://127.0.0.1:15672/";
    deps.metrics = &registry_;
    deps.events = hub_;
    http::Router router;
    ConductorApi(deps).install(router);
    http::ServerOptions options;
    options.metrics = &registry_;
    server_ = std::make_unique<http::Server>("127.0.0.1", 0, std::move(router), options);
    ASSERT_TRUE(server_->start().ok());
  }

  http::Response get(const std::string& path) {
    http::Request request;
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    auto response = http::fetch(request);
    EXPECT_TRUE(response.ok()) << response.error().message;
    return response.ok() ? *response : http::Response{};
  }

  nlohmann::json get_json(const std::string& path) {
    const auto response = get(path);
    EXPECT_EQ(response.status, 200) << response.body;
    return nlohmann::json::parse(response.body);
  }

  // gpu-01: online, seen 10 s ago, memory 75% used, CPU 40%, fullest disk
  // 20%, one GPU. cpu-02: offline.
  void seed_workers() {
    v1::Resources resources;
    resources.set_cpu_percent(40);
    resources.set_memory_total_bytes(static_cast<uint64_t>(16 * kGiB));
    resources.set_memory_available_bytes(static_cast<uint64_t>(4 * kGiB));
    resources.set_load1(2.5);
    auto* data = resources.add_disks();
    data->set_path("/data");
    data->set_total_bytes(1000);
    data->set_used_bytes(200);
    auto* root = resources.add_disks();
    root->set_path("/");
    root->set_total_bytes(1000);
    root->set_used_bytes(100);
    auto* gpu = resources.add_gpus();
    gpu->set_index(0);
    gpu->set_utilization_percent(80);
    gpu->set_memory_used_mib(1000);
    gpu->set_memory_total_mib(16000);
    gpu->set_temperature_celsius(70);

    WorkerRecord online;
    online.id = "gpu-01";
    online.hostname = "node1";
    online.slots = 4;
    online.free_slots = 3;
    online.online = true;
    online.first_seen = clock_.now() - std::chrono::hours(1);
    online.last_seen = clock_.now() - std::chrono::seconds(10);
    online.status_changed_at = online.first_seen;
    online.resources_pb = resources.SerializeAsString();
    ASSERT_TRUE(store_->upsert_worker(online).ok());

    WorkerRecord offline = online;
    offline.id = "cpu-02";
    offline.online = false;
    offline.offline_reason = "missed heartbeats";
    offline.last_seen = clock_.now() - std::chrono::minutes(10);
    ASSERT_TRUE(store_->upsert_worker(offline).ok());
  }

  CaseRecord seed_case(const std::string& id, CaseStatus status, std::chrono::seconds updated_ago) {
    CaseRecord c;
    c.id = id;
    c.workflow = "dose";
    c.status = status;
    c.created_at = clock_.now() - std::chrono::hours(1);
    c.updated_at = clock_.now() - updated_ago;
    EXPECT_TRUE(store_->insert_case(c).ok());
    return c;
  }

  void complete_at(const std::string& id, std::chrono::seconds ago) {
    ASSERT_TRUE(
        store_->append_case_history(id, {clock_.now() - ago, CaseStatus::completed, 0, 1, "gpu-01", "done"}).ok());
  }

  // c-run EXECUTING step 1 ("simulate", 45%), c-wait QUEUED, c-old and c-new
  // COMPLETED (c-new last), c-bad FAILED in between.
  void seed_cases() {
    auto running = seed_case("c-run", CaseStatus::executing, std::chrono::seconds(30));
    running.current_step = 1;
    running.attempt = 1;
    running.worker_id = "gpu-01";
    running.progress = 45;
    running.progress_message = "epoch 3/10";
    ASSERT_TRUE(store_->update_case(running).ok());
    StepAttemptRecord attempt;
    attempt.case_id = "c-run";
    attempt.step = 1;
    attempt.step_name = "simulate";
    attempt.attempt = 1;
    attempt.worker_id = "gpu-01";
    attempt.status = AttemptStatus::running;
    attempt.dispatched_at = clock_.now() - std::chrono::minutes(2);
    ASSERT_TRUE(store_->upsert_attempt(attempt).ok());

    seed_case("c-wait", CaseStatus::queued, std::chrono::seconds(600));
    seed_case("c-old", CaseStatus::completed, std::chrono::seconds(300));
    seed_case("c-bad", CaseStatus::failed, std::chrono::seconds(200));
    seed_case("c-new", CaseStatus::completed, std::chrono::seconds(90));
    complete_at("c-old", std::chrono::seconds(300));
    complete_at("c-new", std::chrono::seconds(90));
  }

  ManualClock clock_{from_unix_ms(1'700'000'000'000)};
  metrics::Registry registry_;
  std::shared_ptr<http::EventHub> hub_ = std::make_shared<http::EventHub>();
  std::unique_ptr<http::Server> server_;
};

}  // namespace baton::conductor::testing
