#include <gtest/gtest.h>

#include "common/config/config_error.hpp"
#include "conductor/schedule/schedule_spec.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

ScheduleSpec read(const std::string& yaml) {
  const YAML::Node root = YAML::Load(yaml);
  config::MapReader reader(root, "schedules.yaml", "schedules.backup");
  ScheduleSpec spec;
  spec.name = "backup";
  read_schedule(reader, spec);
  reader.finish();
  return spec;
}

std::string error_of(const std::string& yaml) {
  try {
    read(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ScheduleSpec, ReadsAnInterval) {
  const ScheduleSpec spec = read("every: 5m\nsplay: 30s\nmissed: skip\n");
  EXPECT_EQ(spec.kind, ScheduleKind::interval);
  EXPECT_EQ(spec.interval, 5min);
  EXPECT_EQ(spec.splay, 30s);
  EXPECT_EQ(spec.missed, MissedRunPolicy::skip);
  EXPECT_FALSE(spec.expiry.has_value());
  EXPECT_EQ(spec.time_zone.name(), "UTC");
}

TEST(ScheduleSpec, ReadsACronInAZone) {
  const ScheduleSpec spec = read("cron: \"0 3 * * *\"\ntimezone: Europe/Berlin\nexpiry: 2h\n");
  EXPECT_EQ(spec.kind, ScheduleKind::cron);
  ASSERT_TRUE(spec.cron.has_value());
  EXPECT_EQ(spec.cron->text(), "0 3 * * *");
  EXPECT_EQ(spec.time_zone.name(), "Europe/Berlin");
  EXPECT_EQ(spec.missed, MissedRunPolicy::run_once);
  EXPECT_EQ(spec.expiry, std::optional<std::chrono::milliseconds>(2h));
}

TEST(ScheduleSpec, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("splay: 1s\n"),
            "schedules.yaml:1: schedules.backup.every: a schedule needs every: <duration> or cron: \"<expression>\"");
  EXPECT_EQ(error_of("every: 5m\ncron: \"@daily\"\n"), "schedules.yaml:2: schedules.backup.cron: give either every or cron, not both");
  EXPECT_EQ(error_of("every: 5m\nsplay: 10m\n"), "schedules.yaml:2: schedules.backup.splay: must not exceed every (5m), got 10m");
  EXPECT_EQ(error_of("every: 5m\ntimezone: Europe/Berlin\n"),
            "schedules.yaml:2: schedules.backup.timezone: applies only to cron schedules; an interval runs on elapsed time");
  EXPECT_EQ(error_of("cron: \"0 25 * * *\"\n"),
            "schedules.yaml:1: schedules.backup.cron: hour field \"25\": 25 is out of range 0-23");
  EXPECT_NE(error_of("cron: \"@daily\"\ntimezone: Europe/Atlantis\n").find("schedules.yaml:2: schedules.backup.timezone: unknown time zone"),
            std::string::npos);
  EXPECT_NE(error_of("every: 5m\nmissed: sometimes\n").find("schedules.yaml:2: schedules.backup.missed: expected one of run_once, skip"),
            std::string::npos);
  EXPECT_NE(error_of("every: 0s\n").find("schedules.yaml:1: schedules.backup.every: expected a duration from 1s"),
            std::string::npos);
  EXPECT_NE(error_of("every: 5m\nevry: 1m\n").find("schedules.yaml:2: schedules.backup.evry: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace baton::conductor
