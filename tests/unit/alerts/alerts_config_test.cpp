#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/config/config_error.hpp"
#include "common/config/yaml_reader.hpp"
#include "conductor/alerts/alerts_config.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace std::chrono_literals;

class AlertsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-alerts-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  AlertsConfig read(const std::string& yaml) {
    const auto path = (dir_ / "conductor.yaml").string();
    std::ofstream(path) << yaml;
    YAML::Node root = config::load_yaml_file(path);
    config::MapReader top(root, path, "");
    AlertsConfig cfg = default_alerts_config();
    top.section("alerts", [&](config::MapReader& a) { read_alerts_config(a, cfg); });
    top.finish();
    return cfg;
  }

  std::filesystem::path dir_;
};

TEST_F(AlertsConfigTest, DefaultsFollowTheRunbook) {
  const AlertsConfig cfg = default_alerts_config();
  EXPECT_EQ(cfg.soft_states, 3u);
  EXPECT_EQ(cfg.recovery_states, 1u);
  EXPECT_EQ(cfg.flap_window, 20u);
  EXPECT_EQ(cfg.critical_severity, Severity::high);
  EXPECT_EQ(cfg.warning_severity, Severity::medium);
  const auto& critical = cfg.policy(Severity::critical);
  EXPECT_EQ(critical.response_time, 15min);
  ASSERT_EQ(critical.levels.size(), 4u);
  EXPECT_EQ(critical.levels[0].name, "team");
  EXPECT_EQ(critical.levels[1].after, 15min);
  EXPECT_EQ(critical.levels[2].after, 30min);
  EXPECT_EQ(critical.levels[3].name, "director");
  EXPECT_EQ(critical.levels[3].after, 60min);
  EXPECT_EQ(cfg.policy(Severity::high).response_time, 1h);
  EXPECT_EQ(cfg.policy(Severity::medium).response_time, 4h);
  EXPECT_EQ(cfg.policy(Severity::low).response_time, 24h);
  EXPECT_EQ(cfg.policy(Severity::low).levels[1].after, 24h);
}

TEST_F(AlertsConfigTest, ReadsEverySection) {
  const AlertsConfig cfg = read(R"(
alerts:
  soft_states: 2
  recovery_states: 2
  flap: {window: 10, high_percent: 40, low_percent: 20}
  default_severity: {critical: critical, worker_offline: medium}
  severity_rules:
    - {check: "disk_*", state: CRITICAL, label: gpu, severity: critical}
  channels:
    ops: {type: webhook, url: "http://127.0.0.1:9/hook", format: slack, headers: {X-Team: ops}, timeout: 2s}
    pager: {type: command, argv: [/usr/local/bin/page, --urgent], timeout: 20s}
    log: {type: log}
  rate_limit: {per_hour: 4}
  retry: {attempts: 5, initial: 100ms, max: 10s}
  escalation:
    high:
      response_time: 30m
      levels:
        - {name: team, after: 0m, channels: [ops], repeat: 10m}
        - {name: boss, after: 20m, channels: [ops, pager]}
  remediation:
    - check: "svc_*"
      state: CRITICAL
      labels: [web]
      action: restart_service
      params: {unit: nginx}
      cooldown: 10m
      budget_per_hour: 2
      verify_after: 1m
)");
  EXPECT_EQ(cfg.soft_states, 2u);
  EXPECT_EQ(cfg.flap_high_percent, 40);
  EXPECT_EQ(cfg.critical_severity, Severity::critical);
  EXPECT_EQ(cfg.worker_offline_severity, Severity::medium);
  ASSERT_EQ(cfg.severity_rules.size(), 1u);
  EXPECT_EQ(cfg.severity_rules[0].state, CheckState::critical);
  const auto& ops = cfg.channels.at("ops");
  EXPECT_EQ(ops.type, ChannelConfig::Type::webhook);
  EXPECT_EQ(ops.webhook.format, WebhookChannelConfig::Format::slack);
  EXPECT_EQ(ops.webhook.headers.at("X-Team"), "ops");
  EXPECT_EQ(cfg.channels.at("pager").command.argv, (std::vector<std::string>{"/usr/local/bin/page", "--urgent"}));
  EXPECT_EQ(cfg.rate_limit_per_hour, 4u);
  EXPECT_EQ(cfg.retry.attempts, 5u);
  const auto& high = cfg.policy(Severity::high);
  EXPECT_EQ(high.response_time, 30min);
  ASSERT_EQ(high.levels.size(), 2u);
  EXPECT_EQ(high.levels[1].channels, (std::vector<std::string>{"ops", "pager"}));
  EXPECT_EQ(high.levels[1].repeat, 30min) << "repeat defaults to the response time";
  EXPECT_EQ(cfg.policy(Severity::critical).response_time, 15min) << "others keep their defaults";
  ASSERT_EQ(cfg.remediation.size(), 1u);
  EXPECT_EQ(cfg.remediation[0].budget_per_hour, 2u);
  EXPECT_EQ(cfg.remediation[0].params.at("unit"), "nginx");
}

TEST_F(AlertsConfigTest, ErrorsNameFileLineAndKey) {
  try {
    read("alerts:\n  escalation:\n    high:\n      levels:\n        - {after: 0m, channels: [nowhere]}\n");
    FAIL() << "an unknown channel is an error";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.line(), 5);
    EXPECT_EQ(e.key(), "alerts.escalation.high.levels[0].channels");
    EXPECT_NE(std::string(e.what()).find("conductor.yaml:5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read("alerts:\n  soft_states: 0\n"), config::ConfigError);
  EXPECT_THROW(read("alerts:\n  severity_rules:\n    - {check: x, severity: urgent}\n"), config::ConfigError);
  EXPECT_THROW(read("alerts:\n  channels:\n    x: {type: webhook}\n"), config::ConfigError);
  EXPECT_THROW(read("alerts:\n  sof_states: 2\n"), config::ConfigError);
}

}  // namespace
}  // namespace baton::conductor::alerts
