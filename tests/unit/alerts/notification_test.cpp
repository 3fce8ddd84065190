#include <gtest/gtest.h>

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/http/server.hpp"
#include "conductor/alerts/notification_sender.hpp"
#include "tests/unit/alerts/alert_test_support.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using nlohmann::json;
using Outcome = NotificationAttempt::Outcome;

NotificationMessage message(NotificationKind kind = NotificationKind::problem) {
  NotificationMessage m;
  m.alert.id = 42;
  m.alert.key = "check:w1/disk";
  m.alert.worker_id = "w1";
  m.alert.check = "disk";
  m.alert.severity = Severity::high;
  m.alert.last_state = CheckState::critical;
  m.alert.last_output = "disk 97% full";
  m.alert.first_seen = t0();
  m.intent = NotificationIntent{42, "ops", 1, kind};
  m.at = t0() + 1min;
  return m;
}

// A webhook receiver on a free port that fails the first `failures` posts.
class Receiver {
 public:
  explicit Receiver(int failures = 0) : failures_(failures) {
    http::Router router;
    router.add("POST", "/hook", [this](const http::ServerRequest& request) {
      std::lock_guard lock(mu_);
      bodies_.push_back(request.body);
      headers_ = request.headers;
      http::ServerResponse response;
      if (failures_-- > 0) response.status = 503;
      return response;
    });
    server_ = std::make_unique<http::Server>("127.0.0.1", 0, std::move(router));
    EXPECT_TRUE(server_->start().ok());
  }
  ~Receiver() { server_->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::map<std::string, std::string> headers() {
    std::lock_guard lock(mu_);
    return headers_;
  }

 private:
  std::mutex mu_;
  int failures_;
  std::vector<std::string> bodies_;
  std::map<std::string, std::string> headers_;
  std::unique_ptr<http::Server> server_;
};

// Collects the sender's reports and lets a test wait for a number of them.
class Outcomes {
 public:
  void operator()(const NotificationAttempt& attempt) {
    std::lock_guard lock(mu_);
    seen_.push_back(attempt);
    cv_.notify_all();
  }
  std::vector<NotificationAttempt> wait_for(size_t count) {
    std::unique_lock lock(mu_);
    // A guard against hanging the suite on a bug, not a timing expectation.
    cv_.wait_for(lock, std::chrono::minutes(1), [&] { return seen_.size() >= count; });
    return seen_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<NotificationAttempt> seen_;
};

TEST(WebhookChannel, PostsJsonAndSlackBodiesToARealServer) {
  Receiver receiver;
  WebhookChannelConfig cfg;
  cfg.url = receiver.url();
  cfg.headers = {{"X-Team", "ops"}};
  ASSERT_TRUE(WebhookChannel(cfg).deliver(message()).ok());
  cfg.format = WebhookChannelConfig::Format::slack;
  ASSERT_TRUE(WebhookChannel(cfg).deliver(message(NotificationKind::resolved)).ok());

  auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const json plain = json::parse(bodies[0]);
  EXPECT_EQ(plain["alert_id"], 42);
  EXPECT_EQ(plain["kind"], "problem");
  EXPECT_EQ(plain["severity"], "high");
  EXPECT_EQ(plain["worker"], "w1");
  EXPECT_EQ(plain["state"], "CRITICAL");
  EXPECT_EQ(plain["output"], "disk 97% full");
  EXPECT_EQ(receiver.headers().at("x-team"), "ops");
  const json slack = json::parse(bodies[1]);
  ASSERT_EQ(slack.size(), 1u) << "Slack wants only text";
  EXPECT_EQ(slack["text"], "[HIGH] RESOLVED w1/disk CRITICAL (level 2): disk 97% full");
}

TEST(WebhookChannel, NonSuccessStatusAndNoListenerAreErrors) {
  Receiver receiver(1);
  WebhookChannelConfig cfg;
  cfg.url = receiver.url();
  auto refused = WebhookChannel(cfg).deliver(message());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("HTTP 503"), std::string::npos);
  cfg.url = "http://127.0.0.1:1/hook";
  EXPECT_FALSE(WebhookChannel(cfg).deliver(message()).ok());
}

class CommandChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-notify-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CommandChannelConfig config(const std::string& exit_code) {
    CommandChannelConfig cfg;
    cfg.argv = {BATON_SOURCE_DIR "/tests/unit/alerts/fixtures/notify.sh", dir_.string(), exit_code};
    return cfg;
  }
  std::string slurp(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::filesystem::path dir_;
};

TEST_F(CommandChannelTest, PassesTheAlertAsEnvironmentAndJsonOnStdin) {
  ASSERT_TRUE(CommandChannel(config("0")).deliver(message()).ok());
  const std::string env = slurp("env");
  EXPECT_NE(env.find("BATON_ALERT_ID=42\n"), std::string::npos) << env;
  EXPECT_NE(env.find("BATON_ALERT_KIND=problem\n"), std::string::npos);
  EXPECT_NE(env.find("BATON_ALERT_SEVERITY=high\n"), std::string::npos);
  EXPECT_NE(env.find("BATON_ALERT_OUTPUT=disk 97% full\n"), std::string::npos);
  EXPECT_EQ(json::parse(slurp("stdin"))["key"], "check:w1/disk");
}

TEST_F(CommandChannelTest, NonZeroExitIsAnErrorWithStderr) {
  auto status = CommandChannel(config("3")).deliver(message());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("exit 3"), std::string::npos) << status.error().message;
  EXPECT_NE(status.error().message.find("refusing on purpose"), std::string::npos);
}

TEST(NotificationRateLimiter, LimitsPerAlertAndChannelButNeverResolves) {
  NotificationRateLimiter limiter(2);
  EXPECT_TRUE(limiter.allow(1, "ops", NotificationKind::problem, t0()));
  EXPECT_TRUE(limiter.allow(1, "ops", NotificationKind::escalation, t0() + 1min));
  EXPECT_FALSE(limiter.allow(1, "ops", NotificationKind::problem, t0() + 2min));
  EXPECT_TRUE(limiter.allow(1, "pager", NotificationKind::problem, t0() + 2min));
  EXPECT_TRUE(limiter.allow(2, "ops", NotificationKind::problem, t0() + 2min));
  EXPECT_TRUE(limiter.allow(1, "ops", NotificationKind::resolved, t0() + 3min));
  EXPECT_TRUE(limiter.allow(1, "ops", NotificationKind::problem, t0() + 60min)) << "the first one left the hour";
}

std::map<std::string, std::unique_ptr<NotificationChannel>> webhook_channels(const std::string& url) {
  std::map<std::string, std::unique_ptr<NotificationChannel>> channels;
  WebhookChannelConfig cfg;
  cfg.url = url;
  channels["ops"] = std::make_unique<WebhookChannel>(cfg);
  return channels;
}

TEST(NotificationSender, RetriesWithBackoffAndReportsEveryAttempt) {
  Receiver receiver(2);
  ManualClock clock(t0());
  Outcomes outcomes;
  NotificationSender sender(webhook_channels(receiver.url()), RetryConfig{3, 1ms, 2ms}, 10, clock,
                            [&](const NotificationAttempt& a) { outcomes(a); });
  sender.start();
  sender.enqueue(message());
  auto seen = outcomes.wait_for(3);
  sender.stop();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].outcome, Outcome::failed);
  EXPECT_NE(seen[0].error.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(seen[1].attempt, 2u);
  EXPECT_EQ(seen[2].outcome, Outcome::sent);
  EXPECT_EQ(seen[2].attempt, 3u);
  EXPECT_EQ(seen[2].alert_id, 42);
  EXPECT_EQ(receiver.bodies().size(), 3u);
}

TEST(NotificationSender, GivesUpAfterTheLastAttempt) {
  Receiver receiver(100);
  ManualClock clock(t0());
  Outcomes outcomes;
  NotificationSender sender(webhook_channels(receiver.url()), RetryConfig{2, 1ms, 1ms}, 10, clock,
                            [&](const NotificationAttempt& a) { outcomes(a); });
  sender.start();
  sender.enqueue(message());
  sender.enqueue(message(NotificationKind::resolved));
  auto seen = outcomes.wait_for(4);
  sender.stop();
  EXPECT_EQ(seen.size(), 4u) << "two attempts each, no more";
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](const auto& a) { return a.outcome == Outcome::failed; }));
}

TEST(NotificationSender, RateLimitedNotificationsAreReportedNotSent) {
  Receiver receiver;
  ManualClock clock(t0());
  Outcomes outcomes;
  NotificationSender sender(webhook_channels(receiver.url()), RetryConfig{}, 1, clock,
                            [&](const NotificationAttempt& a) { outcomes(a); });
  sender.start();
  sender.enqueue(message());
  outcomes.wait_for(1);
  sender.enqueue(message(NotificationKind::escalation));
  outcomes.wait_for(2);
  sender.enqueue(message(NotificationKind::resolved));
  auto seen = outcomes.wait_for(3);
  sender.stop();
  EXPECT_EQ(seen[0].outcome, Outcome::sent);
  EXPECT_EQ(seen[1].outcome, Outcome::rate_limited);
  EXPECT_EQ(seen[2].outcome, Outcome::sent) << "resolves are never limited";
  EXPECT_EQ(receiver.bodies().size(), 2u);
}

TEST(NotificationSender, StopAbandonsOrFinishesWhatIsQueued) {
  Receiver receiver;
  ManualClock clock(t0());
  {
    Outcomes outcomes;
    NotificationSender sender(webhook_channels(receiver.url()), RetryConfig{}, 10, clock,
                              [&](const NotificationAttempt& a) { outcomes(a); });
    sender.enqueue(message());
    sender.stop(NotificationSender::StopMode::abandon);
    sender.enqueue(message());
    auto seen = outcomes.wait_for(2);
    EXPECT_EQ(seen[0].outcome, Outcome::abandoned);
    EXPECT_EQ(seen[1].outcome, Outcome::abandoned) << "nothing is accepted after stop";
  }
  EXPECT_TRUE(receiver.bodies().empty());
  {
    Outcomes outcomes;
    NotificationSender sender(webhook_channels(receiver.url()), RetryConfig{}, 10, clock,
                              [&](const NotificationAttempt& a) { outcomes(a); });
    sender.enqueue(message());
    sender.enqueue(message(NotificationKind::resolved));
    sender.stop(NotificationSender::StopMode::finish);
    auto seen = outcomes.wait_for(2);
    EXPECT_EQ(seen[0].outcome, Outcome::sent);
    EXPECT_EQ(seen[1].outcome, Outcome::sent);
  }
  EXPECT_EQ(receiver.bodies().size(), 2u);
}

}  // namespace
}  // namespace baton::conductor::alerts
