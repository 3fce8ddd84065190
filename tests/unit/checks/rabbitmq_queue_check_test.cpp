#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "check_test_support.hpp"
#include "common/http/server.hpp"

namespace baton::worker::checks {
namespace {

using testing::find_perf;
using testing::request;

// Serves GET /api/queues/{vhost}/{name} the way the management plugin does,
// for two queues, behind basic auth.
http::Router management_router() {
  http::Router router;
  router.add("GET", "/api/queues/{vhost}/{name}", [](const http::ServerRequest& r) {
    auto auth = r.headers.find("authorization");
    if (auth == r.headers.end() || auth->second != "Basic bW9uaXRvcjpzZWNyZXQ=")
      return http::json_error(401, "Not_Authorized");
    const std::string& vhost = r.params.at("vhost");
    const std::string& name = r.params.at("name");
    http::ServerResponse response;
    if (vhost == "/" && name == "baton.conductor") {
      response.body = nlohmann::json{{"name", name}, {"vhost", vhost}, {"messages_ready", 5},
                                     {"messages_unacknowledged", 3}, {"messages", 8}, {"consumers", 1}}
                          .dump();
    } else if (vhost == "prod/eu" && name == "jobs") {
      response.body = nlohmann::json{{"name", name}, {"messages_ready", 0}, {"messages", 0}, {"consumers", 0}}.dump();
    } else if (name == "fresh") {
      response.body = nlohmann::json{{"name", name}, {"consumers", 0}}.dump();
    } else {
      return http::json_error(404, "Object Not Found");
    }
    return response;
  });
  return router;
}

class RabbitmqQueueCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start().ok());
    ChecksConfig config;
    config.rabbitmq.url = "http://127.0.0.1:" + std::to_string(server_.port()) + "/";
    config.rabbitmq.user = "monitor";
    config.rabbitmq.password = "secret";
    runner_ = std::make_unique<CheckRunner>(config);
  }
  CheckOutcome check(std::map<std::string, std::string> params) {
    return runner_->run(request("rabbitmq_queue", std::move(params)));
  }
  http::Server server_{"127.0.0.1", 0, management_router()};
  std::unique_ptr<CheckRunner> runner_;
};

TEST_F(RabbitmqQueueCheckTest, ReportsCountsAsPerfdata) {
  auto outcome = check({{"queue", "baton.conductor"}});
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_EQ(outcome.output, "queue 'baton.conductor' in vhost '/': 5 ready, 8 total, 1 consumer(s)");
  EXPECT_DOUBLE_EQ(find_perf(outcome, "messages_ready")->value, 5);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "messages")->value, 8);
  EXPECT_DOUBLE_EQ(find_perf(outcome, "consumers")->value, 1);
}

TEST_F(RabbitmqQueueCheckTest, ThresholdsAtTheBoundary) {
  EXPECT_EQ(check({{"queue", "baton.conductor"}, {"ready_warning", "5"}, {"total_critical", "8"}}).state,
            CheckState::ok);
  EXPECT_EQ(check({{"queue", "baton.conductor"}, {"ready_warning", "4"}}).state, CheckState::warning);
  EXPECT_EQ(check({{"queue", "baton.conductor"}, {"total_critical", "7"}}).state, CheckState::critical);
  EXPECT_EQ(check({{"queue", "baton.conductor"}, {"consumers_critical", "2:"}}).state, CheckState::critical);
}

TEST_F(RabbitmqQueueCheckTest, VhostIsEncodedAsOneSegment) {
  auto outcome = check({{"vhost", "prod/eu"}, {"queue", "jobs"}, {"consumers_critical", "1:"}});
  EXPECT_EQ(outcome.state, CheckState::critical) << outcome.output;
  EXPECT_NE(outcome.output.find("consumers 0 (critical: 1:)"), std::string::npos) << outcome.output;
}

TEST_F(RabbitmqQueueCheckTest, MissingQueueIsCritical) {
  auto outcome = check({{"queue", "nope"}});
  EXPECT_EQ(outcome.state, CheckState::critical);
  EXPECT_NE(outcome.output.find("does not exist"), std::string::npos);
}

TEST_F(RabbitmqQueueCheckTest, QueueWithoutStatisticsYetIsUnknown) {
  auto outcome = check({{"queue", "fresh"}});
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("statistics"), std::string::npos) << outcome.output;
}

TEST(RabbitmqQueueCheckConfigTest, WrongCredentialsAndNoUrlAreUnknown) {
  http::Server server{"127.0.0.1", 0, management_router()};
  ASSERT_TRUE(server.start().ok());
  ChecksConfig config;
  config.rabbitmq.url = "http://127.0.0.1:" + std::to_string(server.port());
  config.rabbitmq.user = "monitor";
  config.rabbitmq.password = "wrong";
  auto refused = CheckRunner(config).run(request("rabbitmq_queue", {{"queue", "baton.conductor"}}));
  EXPECT_EQ(refused.state, CheckState::unknown);
  EXPECT_NE(refused.output.find("refused user 'monitor'"), std::string::npos) << refused.output;

  auto unset = CheckRunner(ChecksConfig{}).run(request("rabbitmq_queue", {{"queue", "q"}}));
  EXPECT_EQ(unset.state, CheckState::unknown);
  EXPECT_NE(unset.output.find("management_url"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
