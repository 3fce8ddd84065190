#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/http/client.hpp"
#include "common/http/server.hpp"
#include "conductor/http/api.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

Request get_request(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

std::string url(const Server& server, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

Router test_router() {
  Router router;
  router.add("POST", "/api/echo/{name}", [](const ServerRequest& request) {
    ServerResponse response;
    response.status = 201;
    response.body = json{{"name", request.params.at("name")},
                         {"query", request.query},
                         {"body", request.body},
                         {"auth", request.headers.count("authorization") ? request.headers.at("authorization") : ""}}
                        .dump();
    return response;
  });
  router.add("GET", "/plain", [](const ServerRequest&) {
    ServerResponse response;
    response.content_type = "text/plain";
    response.body = "hello";
    return response;
  });
  router.add("GET", "/api/boom", [](const ServerRequest&) -> ServerResponse { throw std::runtime_error("boom"); });
  return router;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start().ok()); }
  Server server_{"127.0.0.1", 0, test_router()};
};

TEST_F(HttpServerTest, AnswersThroughTheClient) {
  ASSERT_NE(server_.port(), 0);
  Request request;
  request.method = "POST";
  request.url = url(server_, "/api/echo/w%201?x=1&y=a+b");
  request.body = R"({"k":1})";
  request.bearer_token = "secret";
  auto response = fetch(request);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->headers.at("content-type"), "application/json");
  EXPECT_EQ(response->headers.at("cache-control"), "no-store");
  const auto body = json::parse(response->body);
  EXPECT_EQ(body["name"], "w 1");
  EXPECT_EQ(body["query"]["x"], "1");
  EXPECT_EQ(body["query"]["y"], "a b");
  EXPECT_EQ(body["body"], R"({"k":1})");
  EXPECT_EQ(body["auth"], "Bearer secret");
}

TEST_F(HttpServerTest, OnlyApiAndHealthAreNoStore) {
  auto response = fetch(get_request(url(server_, "/plain")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->headers.count("cache-control"), 0u);
}

TEST_F(HttpServerTest, SendsBasicAuth) {
  Request request;
  request.method = "POST";
  request.url = url(server_, "/api/echo/x");
  request.basic_user = "guest";
  request.basic_password = "guest";
  auto response = fetch(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(json::parse(response->body)["auth"], "Basic Z3Vlc3Q6Z3Vlc3Q=");
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveBetweenRequests) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  beast::flat_buffer buffer;
  for (int i = 0; i < 2; ++i) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/plain", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(true);
    bhttp::write(socket, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "hello");
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  auto response = fetch(get_request(url(server_, "/api/nothing")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
  EXPECT_TRUE(json::parse(response->body).contains("error"));
}

TEST_F(HttpServerTest, WrongMethodIs405) {
  auto response = fetch(get_request(url(server_, "/api/echo/x")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers.at("allow"), "POST");
}

TEST_F(HttpServerTest, RejectsBodiesOverOneMebibyte) {
  Request request;
  request.method = "POST";
  request.url = url(server_, "/api/echo/x");
  request.body.assign(1024 * 1024 + 100 * 1024, 'x');
  auto response = fetch(request);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers.at("cache-control"), "no-store");

  auto after = fetch(get_request(url(server_, "/plain")));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  auto response = fetch(get_request(url(server_, "/api/boom")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(json::parse(response->body)["error"], "internal error");

  auto after = fetch(get_request(url(server_, "/plain")));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, CountsResponsesByClass) {
  ASSERT_TRUE(fetch(get_request(url(server_, "/plain"))).ok());
  ASSERT_TRUE(fetch(get_request(url(server_, "/missing"))).ok());
  ASSERT_TRUE(fetch(get_request(url(server_, "/api/boom"))).ok());
  const auto counts = server_.request_counts();
  EXPECT_EQ(counts.success, 1u);
  EXPECT_EQ(counts.client_error, 1u);
  EXPECT_EQ(counts.server_error, 1u);
  EXPECT_EQ(counts.total(), 3u);
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsPromptly) {
  asio::io_context io;
  tcp::socket idle(io);
  idle.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  ASSERT_TRUE(fetch(get_request(url(server_, "/plain"))).ok());
  const auto started = std::chrono::steady_clock::now();
  server_.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  server_.stop();
}

TEST(HttpServer, ReportsAPortInUse) {
  Server first("127.0.0.1", 0, Router{});
  ASSERT_TRUE(first.start().ok());
  Server second("127.0.0.1", first.port(), Router{});
  const auto status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::unavailable);
  Server bad("not-an-address", 0, Router{});
  EXPECT_EQ(bad.start().error().code, Errc::invalid_argument);
}

TEST(HttpClient, TimesOutWhenTheServerNeverAnswers) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket accepted(io);
  acceptor.async_accept(accepted, [](beast::error_code) {});
  std::thread acceptor_thread([&io] { io.run(); });

  Request request;
  request.url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/health";
  request.timeout = std::chrono::milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  auto response = fetch(request);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  acceptor_thread.join();

  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::timeout);
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(HttpClient, ConnectionRefusedIsUnavailable) {
  uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto response = fetch(get_request("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::unavailable);
}

TEST(HttpClient, BadUrlIsInvalidArgument) {
  auto response = fetch(get_request("https://example.org/"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace baton::http

namespace baton::conductor {
namespace {

using nlohmann::json;

class ConductorApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-api-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    database_ = (dir_ / "baton.db").string();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void seed_workers() {
    auto store = ConductorStore::open(database_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    WorkerRecord gpu;
    gpu.id = "gpu-01";
    gpu.hostname = "node1";
    gpu.version = "0.1.0";
    gpu.labels = {"gpu", "a100"};
    gpu.slots = 4;
    gpu.free_slots = 3;
    gpu.heartbeat_interval = std::chrono::milliseconds(5000);
    gpu.online = true;
    gpu.first_seen = from_unix_ms(1'700'000'000'000);
    gpu.last_seen = clock_.now() - std::chrono::milliseconds(2500);
    gpu.status_changed_at = gpu.first_seen;
    gpu.resources_json = R"({"cpu_percent":12.5,"memory_total_bytes":"1000","memory_available_bytes":"250"})";
    gpu.gpus_json = R"([{"index":0,"uuid":"GPU-1","name":"A100"}])";
    WorkerRecord cpu;
    cpu.id = "cpu-01";
    cpu.hostname = "node2";
    cpu.slots = 2;
    cpu.online = false;
    cpu.offline_reason = "missed 3 heartbeats";
    cpu.first_seen = from_unix_ms(1'700'000'000'000);
    cpu.last_seen = from_unix_ms(1'700'000'001'250);
    cpu.status_changed_at = from_unix_ms(1'700'000'016'250);
    ASSERT_TRUE((*store)->upsert_worker(gpu).ok());
    ASSERT_TRUE((*store)->upsert_worker(cpu).ok());
  }

  void serve(bool broker_up = true) {
    ApiDeps deps;
    deps.database_path = database_;
    deps.broker_connected = [broker_up] { return broker_up; };
    deps.clock = &clock_;
    deps.version = "9.9.9";
    deps.started_at = clock_.now() - std::chrono::seconds(90);
    ConductorApi api(deps);
    http::Router router;
    api.install(router);
    server_ = std::make_unique<http::Server>("127.0.0.1", 0, std::move(router));
    ASSERT_TRUE(server_->start().ok());
  }

  http::Response get(const std::string& path) {
    auto response = http::fetch(http::get_request("http://127.0.0.1:" + std::to_string(server_->port()) + path));
    EXPECT_TRUE(response.ok()) << response.error().message;
    return response.ok() ? *response : http::Response{};
  }

  ManualClock clock_{from_unix_ms(1'700'000'100'000)};
  std::filesystem::path dir_;
  std::string database_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(ConductorApiTest, ListsWorkersSortedById) {
  seed_workers();
  serve();
  const auto response = get("/api/v1/workers");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.at("cache-control"), "no-store");
  const auto body = json::parse(response.body);
  ASSERT_EQ(body["workers"].size(), 2u);
  const auto& cpu = body["workers"][0];
  const auto& gpu = body["workers"][1];
  EXPECT_EQ(cpu["id"], "cpu-01");
  EXPECT_EQ(cpu["status"], "offline");
  EXPECT_EQ(cpu["online"], false);
  EXPECT_EQ(cpu["offline_reason"], "missed 3 heartbeats");
  EXPECT_EQ(cpu["last_seen"], "2023-11-14T22:13:21.250Z");
  EXPECT_EQ(cpu["status_changed_at"], "2023-11-14T22:13:36.250Z");
  EXPECT_EQ(cpu["resources"], json::object());
  EXPECT_EQ(cpu["gpus"], json::array());

  EXPECT_EQ(gpu["id"], "gpu-01");
  EXPECT_EQ(gpu["status"], "online");
  EXPECT_EQ(gpu["hostname"], "node1");
  EXPECT_EQ(gpu["version"], "0.1.0");
  EXPECT_EQ(gpu["labels"], (json{"gpu", "a100"}));
  EXPECT_EQ(gpu["slots"], 4);
  EXPECT_EQ(gpu["free_slots"], 3);
  EXPECT_EQ(gpu["heartbeat_interval_ms"], 5000);
  EXPECT_EQ(gpu["first_seen"], "2023-11-14T22:13:20.000Z");
  EXPECT_DOUBLE_EQ(gpu["heartbeat_age_seconds"].get<double>(), 2.5);
  EXPECT_EQ(gpu["resources"]["memory_total_bytes"], "1000");
  EXPECT_EQ(gpu["gpus"][0]["name"], "A100");
}

TEST_F(ConductorApiTest, ShowsOneWorkerOr404) {
  seed_workers();
  serve();
  const auto found = get("/api/v1/workers/gpu-01");
  ASSERT_EQ(found.status, 200);
  EXPECT_EQ(json::parse(found.body)["hostname"], "node1");

  const auto missing = get("/api/v1/workers/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["error"], "no worker named nope");
}

TEST_F(ConductorApiTest, HealthIsDegradedWithAnOfflineWorker) {
  seed_workers();
  serve();
  const auto response = get("/health");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.at("cache-control"), "no-store");
  const auto body = json::parse(response.body);
  EXPECT_EQ(body["status"], "degraded");
  EXPECT_EQ(body["version"], "9.9.9");
  EXPECT_EQ(body["uptime_seconds"], 90);
  EXPECT_EQ(body["components"]["database"]["status"], "up");
  EXPECT_EQ(body["components"]["broker"]["status"], "up");
  EXPECT_EQ(body["components"]["workers"]["online"], 1);
  EXPECT_EQ(body["components"]["workers"]["offline"], 1);
  EXPECT_EQ(body["reasons"], (json{"1 worker is offline"}));
}

TEST_F(ConductorApiTest, HealthIsUnhealthyWithoutBroker) {
  seed_workers();
  serve(/*broker_up=*/false);
  const auto response = get("/health");
  EXPECT_EQ(response.status, 503);
  const auto body = json::parse(response.body);
  EXPECT_EQ(body["status"], "unhealthy");
  EXPECT_EQ(body["components"]["broker"]["status"], "down");
}

TEST_F(ConductorApiTest, HealthIsUnhealthyWithoutDatabaseAndRecovers) {
  serve();
  const auto down = get("/health");
  EXPECT_EQ(down.status, 503);
  const auto body = json::parse(down.body);
  EXPECT_EQ(body["components"]["database"]["status"], "down");
  EXPECT_TRUE(body["components"]["database"].contains("error"));
  EXPECT_EQ(get("/api/v1/workers").status, 503);

  seed_workers();
  const auto up = get("/health");
  EXPECT_EQ(json::parse(up.body)["components"]["database"]["status"], "up");
  EXPECT_EQ(get("/api/v1/workers").status, 200);
}

}  // namespace
}  // namespace baton::conductor
