#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "check_test_support.hpp"
#include "common/http/server.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using testing::find_perf;
using testing::request;

// A socket that listens on a free loopback port but never accepts: connects
// succeed (the kernel completes them), requests are never answered.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 16);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

http::Router health_router() {
  http::Router router;
  router.add("GET", "/health", [](const http::ServerRequest&) {
    http::ServerResponse response;
    response.content_type = "text/plain";
    response.body = "status: ready";
    return response;
  });
  router.add("GET", "/broken", [](const http::ServerRequest&) { return http::json_error(503, "draining"); });
  return router;
}

class HttpCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start().ok()); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  http::Server server_{"127.0.0.1", 0, health_router()};
  CheckRunner runner_{ChecksConfig{}};
};

TEST_F(HttpCheckTest, HealthyEndpointIsOk) {
  auto outcome = runner_.run(request("http", {{"url", url("/health")}, {"body_contains", "ready"}}));
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_NE(outcome.output.find("HTTP 200, 13 bytes"), std::string::npos) << outcome.output;
  ASSERT_NE(find_perf(outcome, "time"), nullptr);
  EXPECT_EQ(find_perf(outcome, "time")->uom, "ms");
  EXPECT_DOUBLE_EQ(find_perf(outcome, "size")->value, 13);
}

TEST_F(HttpCheckTest, UnexpectedStatusIsCritical) {
  auto outcome = runner_.run(request("http", {{"url", url("/broken")}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("status 503 (expected 200)"), std::string::npos) << outcome.output;
  EXPECT_EQ(runner_.run(request("http", {{"url", url("/broken")}, {"expect_status", "200,503"}})).state,
            CheckState::ok);
  EXPECT_EQ(runner_.run(request("http", {{"url", url("/nope")}, {"expect_status", "404"}})).state, CheckState::ok);
}

TEST_F(HttpCheckTest, MissingBodyTextIsCritical) {
  auto outcome = runner_.run(request("http", {{"url", url("/health")}, {"body_contains", "green"}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("body does not contain 'green'"), std::string::npos);
}

TEST_F(HttpCheckTest, LatencyThresholds) {
  // "@0:" alerts on any latency, "~:" on none: the state does not depend on speed.
  EXPECT_EQ(runner_.run(request("http", {{"url", url("/health")}, {"latency_warning", "@0:"}})).state,
            CheckState::warning);
  EXPECT_EQ(runner_.run(request("http", {{"url", url("/health")}, {"latency_critical", "~:"}})).state,
            CheckState::ok);
}

TEST_F(HttpCheckTest, BadParamsAreUnknown) {
  EXPECT_NE(runner_.run(request("http", {{"url", url("/health")}, {"expect_status", "ok"}})).output.find(
                "param 'expect_status'"),
            std::string::npos);
  auto bad_url = runner_.run(request("http", {{"url", "ftp://example"}}));
  EXPECT_EQ(bad_url.state, CheckState::unknown);
  EXPECT_NE(bad_url.output.find("param 'url'"), std::string::npos) << bad_url.output;
}

TEST(HttpCheckRefusedTest, ClosedPortIsCritical) {
  SilentListener listener;
  const uint16_t port = listener.port();
  listener.close();
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(request("http", {{"url", "http://127.0.0.1:" + std::to_string(port) + "/"}}));
  EXPECT_EQ(outcome.state, CheckState::critical) << outcome.output;
}

TEST(HttpCheckTimeoutTest, UnansweredRequestIsUnknownAtTheTimeout) {
  SilentListener listener;
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(
      request("http", {{"url", "http://127.0.0.1:" + std::to_string(listener.port()) + "/"}}, milliseconds(200)));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("timed out after 200 ms"), std::string::npos) << outcome.output;
}

TEST(TcpCheckTest, ListeningPortIsOkWithConnectTime) {
  SilentListener listener;
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(request("tcp", {{"host", "127.0.0.1"}, {"port", std::to_string(listener.port())}}));
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_NE(outcome.output.find("connected to 127.0.0.1:" + std::to_string(listener.port())), std::string::npos);
  ASSERT_NE(find_perf(outcome, "time"), nullptr);
  EXPECT_EQ(runner.run(request("tcp", {{"host", "127.0.0.1"},
                                       {"port", std::to_string(listener.port())},
                                       {"critical", "@0:"}}))
                .state,
            CheckState::critical);
}

TEST(TcpCheckTest, RefusedIsCritical) {
  SilentListener listener;
  const uint16_t port = listener.port();
  listener.close();
  CheckRunner runner{ChecksConfig{}};
  auto outcome = runner.run(request("tcp", {{"host", "127.0.0.1"}, {"port", std::to_string(port)}}));
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("refused"), std::string::npos) << outcome.output;
}

TEST(TcpCheckTest, PortIsRequiredAndBounded) {
  CheckRunner runner{ChecksConfig{}};
  EXPECT_NE(runner.run(request("tcp", {{"host", "127.0.0.1"}})).output.find("param 'port'"), std::string::npos);
  EXPECT_NE(runner.run(request("tcp", {{"host", "127.0.0.1"}, {"port", "70000"}})).output.find("param 'port'"),
            std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
