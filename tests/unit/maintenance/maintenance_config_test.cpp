#include "worker/maintenance/maintenance_config.hpp"

#include <gtest/gtest.h>

#include "common/config/config_error.hpp"

namespace baton::worker::maintenance {
namespace {

using namespace std::chrono_literals;

MaintenanceConfig parse(const std::string& yaml) {
  config::MapReader reader(YAML::Load(yaml), "worker.yaml", "maintenance");
  MaintenanceConfig out;
  read_maintenance_config(reader, out);
  reader.finish();
  return out;
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MaintenanceConfigTest, ReadsEverySection) {
  const auto c = parse(R"(
allowed_roots: [/var/log/app, /srv/data]
default_timeout: 15m
services:
  nginx:
    argv: [systemctl, restart, nginx.service]
    timeout: 90s
sqlite_retention:
  - database: /srv/data/app.db
    table: check_history
    column: checked_at
    older_than: 30d
    column_format: unix_ms
  - database: /srv/data/app.db
    table: events
    column: at
    older_than: 7d
)");
  EXPECT_EQ(c.allowed_roots, (std::vector<std::string>{"/var/log/app", "/srv/data"}));
  EXPECT_EQ(c.default_timeout, 15min);
  ASSERT_EQ(c.services.count("nginx"), 1u);
  EXPECT_EQ(c.services.at("nginx").argv, (std::vector<std::string>{"systemctl", "restart", "nginx.service"}));
  EXPECT_EQ(c.services.at("nginx").timeout, 90s);
  ASSERT_EQ(c.sqlite_retention.size(), 2u);
  EXPECT_EQ(c.sqlite_retention[0].table, "check_history");
  EXPECT_EQ(c.sqlite_retention[0].older_than, 24h * 30);
  EXPECT_EQ(c.sqlite_retention[0].column_format, sqlite::TimeFormat::unix_ms);
  EXPECT_EQ(c.sqlite_retention[1].column_format, sqlite::TimeFormat::unix_s);
}

TEST(MaintenanceConfigTest, AnEmptySectionAllowsNoPath) {
  const auto c = parse("{}");
  EXPECT_TRUE(c.allowed_roots.empty());
  EXPECT_TRUE(c.services.empty());
}

TEST(MaintenanceConfigTest, NamesTheFileLineAndKeyOfEachMistake) {
  EXPECT_EQ(error_of("allowed_roots: [var/log]\n"),
            "worker.yaml:1: maintenance.allowed_roots: expected absolute paths, got \"var/log\"");
  EXPECT_NE(error_of("allowed_roots: [/]\n").find("would allow every path"), std::string::npos);
  EXPECT_EQ(error_of("services:\n  web:\n    argv: []\n"),
            "worker.yaml:3: maintenance.services.web.argv: expected at least the program");
  EXPECT_NE(error_of("services:\n  web:\n    timeout: 5s\n").find("services.web.argv: required key is missing"),
            std::string::npos);
  EXPECT_NE(error_of("services:\n  \"a b\":\n    argv: [x]\n").find("service names use"), std::string::npos);
  const std::string rule = "allowed_roots: [/srv/data]\nsqlite_retention:\n  - database: /srv/data/app.db\n";
  EXPECT_EQ(error_of(rule + "    table: \"events; drop\"\n    column: at\n    older_than: 1d\n"),
            "worker.yaml:4: maintenance.sqlite_retention[0].table: expected a plain SQL identifier "
            "([A-Za-z_][A-Za-z0-9_]*), got \"events; drop\"");
  EXPECT_NE(error_of(rule + "    table: t\n    column: at\n    older_than: 1d\n    column_format: epoch\n")
                .find("sqlite_retention[0].column_format"),
            std::string::npos);
  EXPECT_NE(error_of("allowed_roots: [/srv/data]\nsqlite_retention:\n  - database: /srv/data/../etc/x.db\n"
                     "    table: t\n    column: at\n    older_than: 1d\n")
                .find("not inside any of maintenance.allowed_roots"),
            std::string::npos);
  EXPECT_NE(error_of("allowed_root: [/srv]\n").find("maintenance.allowed_root"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::maintenance
