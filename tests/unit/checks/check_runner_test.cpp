#include "worker/checks/check_runner.hpp"

#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "check_test_support.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using testing::kFixtures;
using testing::request;

CheckRunner fixture_runner(ChecksConfig config = {}) {
  CheckEnvironment environment;
  environment.proc_root = kFixtures + "/proc";
  return CheckRunner(std::move(config), environment);
}

TEST(CheckRunnerTest, UnknownTypeIsUnknownAndListsTheKnownOnes) {
  CheckRunner runner(ChecksConfig{});
  auto outcome = runner.run(request("smart"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("unknown check type 'smart'"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("disk"), std::string::npos);
  EXPECT_NE(outcome.output.find("rabbitmq_queue"), std::string::npos);
}

TEST(CheckRunnerTest, BadParamValueIsUnknownNamingTheParam) {
  auto runner = fixture_runner();
  auto outcome = runner.run(request("memory", {{"warning", "eighty"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("param 'warning'"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("eighty"), std::string::npos);
}

TEST(CheckRunnerTest, MisspelledParamIsUnknownNotIgnored) {
  auto runner = fixture_runner();
  auto outcome = runner.run(request("memory", {{"warnign", "50"}}));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("unknown param 'warnign'"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("critical, warning"), std::string::npos) << outcome.output;
}

TEST(CheckRunnerTest, MissingRequiredParamIsNamed) {
  CheckRunner runner(ChecksConfig{});
  auto outcome = runner.run(request("http"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_NE(outcome.output.find("param 'url': is required"), std::string::npos) << outcome.output;
}

TEST(CheckRunnerTest, ExceptionInsideACheckBecomesUnknown) {
  CheckRunner runner(ChecksConfig{});
  runner.add_check("explodes", [](const CheckContext&, CheckParams&) -> Result<CheckReport> {
    throw std::runtime_error("disk on fire");
  });
  runner.add_check("throws_int", [](const CheckContext&, CheckParams&) -> Result<CheckReport> { throw 42; });
  auto outcome = runner.run(request("explodes"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_EQ(outcome.output, "internal error in explodes check: disk on fire");
  EXPECT_EQ(runner.run(request("throws_int")).state, CheckState::unknown);
}

TEST(CheckRunnerTest, OutputIsCappedWithAVisibleMarker) {
  ChecksConfig config;
  config.max_output_bytes = 300;
  CheckRunner runner(config);
  runner.add_check("chatty", [](const CheckContext&, CheckParams&) -> Result<CheckReport> {
    return CheckReport{CheckState::warning, std::string(1000, 'x'), {}};
  });
  auto outcome = runner.run(request("chatty"));
  EXPECT_EQ(outcome.state, CheckState::warning);
  EXPECT_TRUE(outcome.output_truncated);
  EXPECT_LE(outcome.output.size(), 300u);
  const std::string marker = "\xE2\x80\xA6 [output truncated at 300 bytes]";
  ASSERT_GE(outcome.output.size(), marker.size());
  EXPECT_EQ(outcome.output.substr(outcome.output.size() - marker.size()), marker);
  EXPECT_EQ(outcome.output.substr(0, 10), std::string(10, 'x'));
}

TEST(CheckRunnerTest, CapNeverSplitsAUtf8Character) {
  ChecksConfig config;
  config.max_output_bytes = 300;
  CheckRunner runner(config);
  runner.add_check("accents", [](const CheckContext&, CheckParams&) -> Result<CheckReport> {
    std::string text;
    for (int i = 0; i < 400; ++i) text += "\xC3\xA9";  // é
    return CheckReport{CheckState::ok, text, {}};
  });
  auto outcome = runner.run(request("accents"));
  ASSERT_TRUE(outcome.output_truncated);
  size_t body = outcome.output.find("\xE2\x80\xA6");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(body % 2, 0u) << "cut inside a two-byte character";
}

TEST(CheckRunnerTest, ShortOutputIsUntouched) {
  CheckRunner runner(ChecksConfig{});
  runner.add_check("terse", [](const CheckContext&, CheckParams&) -> Result<CheckReport> {
    return CheckReport{CheckState::ok, "fine", {}};
  });
  auto outcome = runner.run(request("terse"));
  EXPECT_EQ(outcome.output, "fine");
  EXPECT_FALSE(outcome.output_truncated);
}

TEST(CheckRunnerTest, TimeoutDefaultsAndIsCappedByConfig) {
  ChecksConfig config;
  config.default_timeout = milliseconds(1234);
  config.max_timeout = milliseconds(5000);
  CheckRunner runner(config);
  milliseconds seen{0};
  runner.add_check("timed", [&](const CheckContext& context, CheckParams&) -> Result<CheckReport> {
    seen = context.timeout;
    return CheckReport{CheckState::ok, "", {}};
  });
  runner.run(request("timed", {}, milliseconds(0)));
  EXPECT_EQ(seen, milliseconds(1234));
  runner.run(request("timed", {}, milliseconds(60'000)));
  EXPECT_EQ(seen, milliseconds(5000));
  runner.run(request("timed", {}, milliseconds(700)));
  EXPECT_EQ(seen, milliseconds(700));
}

TEST(CheckRunnerTest, CheckErrorsBecomeUnknownWithTheType) {
  CheckRunner runner(ChecksConfig{});
  runner.add_check("fails", [](const CheckContext&, CheckParams&) -> Result<CheckReport> {
    return make_error(Errc::unavailable, "backend down");
  });
  auto outcome = runner.run(request("fails"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_EQ(outcome.output, "fails: backend down");
}

TEST(CheckRunnerTest, ConcurrentRunsFromPoolThreads) {
  auto runner = fixture_runner();
  std::vector<std::thread> threads;
  std::vector<CheckState> states(8, CheckState::unknown);
  for (size_t i = 0; i < states.size(); ++i) {
    threads.emplace_back([&, i] { states[i] = runner.run(request("memory", {{"warning", "79"}})).state; });
  }
  for (auto& t : threads) t.join();
  for (CheckState s : states) EXPECT_EQ(s, CheckState::warning);
}

}  // namespace
}  // namespace baton::worker::checks
