#include "worker/checks/checks_config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/config/yaml_reader.hpp"

namespace baton::worker::checks {
namespace {

ChecksConfig read(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  config::MapReader top(root, "worker.yaml", "");
  ChecksConfig config;
  top.section("checks", [&](config::MapReader& reader) { read_checks_config(reader, config); });
  top.finish();
  return config;
}

std::string error_of(const std::string& yaml) {
  try {
    read(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ChecksConfigTest, DefaultsWhenAbsent) {
  ChecksConfig config = read("checks:\n");
  EXPECT_EQ(config.plugin_dirs, std::vector<std::string>{"/usr/lib/nagios/plugins"});
  EXPECT_TRUE(config.plugins.empty());
  EXPECT_EQ(config.max_output_bytes, 4096u);
  EXPECT_EQ(config.default_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config.state_dir, "var/worker/checks");
  EXPECT_EQ(config.nvidia_smi, "nvidia-smi");
  EXPECT_EQ(config.rabbitmq.url, "");
}

TEST(ChecksConfigTest, ReadsEveryKey) {
  ChecksConfig config = read(R"(
checks:
  plugin_dirs: [/opt/plugins, /usr/lib/nagios/plugins]
  plugins: [check_disk, check_tcp]
  max_output_bytes: 8KB
  default_timeout: 30s
  max_timeout: 2m
  state_dir: /var/lib/baton/checks
  nvidia_smi: /usr/bin/nvidia-smi
  rabbitmq:
    management_url: http://127.0.0.1:15672
    user: monitor
    password: secret
)");
  EXPECT_EQ(config.plugin_dirs, (std::vector<std::string>{"/opt/plugins", "/usr/lib/nagios/plugins"}));
  EXPECT_EQ(config.plugins, (std::vector<std::string>{"check_disk", "check_tcp"}));
  EXPECT_EQ(config.max_output_bytes, 8192u);
  EXPECT_EQ(config.default_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.max_timeout, std::chrono::minutes(2));
  EXPECT_EQ(config.state_dir, "/var/lib/baton/checks");
  EXPECT_EQ(config.nvidia_smi, "/usr/bin/nvidia-smi");
  EXPECT_EQ(config.rabbitmq.url, "http://127.0.0.1:15672");
  EXPECT_EQ(config.rabbitmq.user, "monitor");
  EXPECT_EQ(config.rabbitmq.password, "secret");
}

TEST(ChecksConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("checks:\n  plugins: [check_disk, ../bin/sh]\n"),
            "worker.yaml:2: checks.plugins: expected plugin names without '/', got \"../bin/sh\"");
  EXPECT_NE(error_of("checks:\n  default_timeout: soon\n").find("worker.yaml:2: checks.default_timeout:"),
            std::string::npos);
  EXPECT_NE(error_of("checks:\n  plugin_dir: [/x]\n").find("checks.plugin_dir"), std::string::npos);
  EXPECT_NE(error_of("checks:\n  rabbitmq:\n    management_url: https://x\n").find("checks.rabbitmq.management_url"),
            std::string::npos);
  EXPECT_NE(error_of("checks:\n  default_timeout: 10m\n  max_timeout: 1m\n").find("must not exceed max_timeout"),
            std::string::npos);
}

}  // namespace
}  // namespace baton::worker::checks
