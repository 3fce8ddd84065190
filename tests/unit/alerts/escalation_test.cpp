#include <gtest/gtest.h>

#include "conductor/alerts/notification_channels.hpp"
#include "tests/unit/alerts/alert_test_support.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using V = std::vector<std::string>;

AlertsConfig critical_config() {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  cfg.severity_rules.push_back(SeverityRule{"", std::nullopt, "", Severity::critical});
  return cfg;
}

TEST(Escalation, UnacknowledgedAlertClimbsTheRunbookLevels) {
  AlertEngine engine(critical_config());
  auto opened = engine.observe(check("w1", "db", CheckState::critical, t0()));
  EXPECT_EQ(channels_of(opened, NotificationKind::problem), V{"team"});
  EXPECT_EQ(engine.next_wakeup(), t0() + 15min);

  EXPECT_TRUE(engine.tick(t0() + 14min).intents.empty());
  auto l2 = engine.tick(t0() + 15min);
  EXPECT_EQ(channels_of(l2, NotificationKind::escalation), V{"senior"});
  EXPECT_TRUE(has_event(l2, AlertEventType::escalated));
  EXPECT_TRUE(has_event(l2, AlertEventType::response_time_breached)) << "critical response time is 15m";
  EXPECT_EQ(engine.next_wakeup(), t0() + 30min);

  EXPECT_EQ(channels_of(engine.tick(t0() + 30min), NotificationKind::escalation), V{"manager"});
  EXPECT_EQ(engine.next_wakeup(), t0() + 45min) << "manager repeats every response time before L4 at 60m";
  EXPECT_EQ(channels_of(engine.tick(t0() + 45min), NotificationKind::problem), V{"manager"});
  EXPECT_EQ(channels_of(engine.tick(t0() + 60min), NotificationKind::escalation), V{"director"});
  const AlertRecord* alert = engine.find_key(AlertEngine::check_key("w1", "db"));
  ASSERT_NE(alert, nullptr);
  EXPECT_EQ(alert->escalation_level, 3);
  EXPECT_TRUE(alert->response_breached);

  auto resolved = engine.observe(check("w1", "db", CheckState::ok, t0() + 61min));
  EXPECT_EQ(channels_of(resolved, NotificationKind::resolved), (V{"director", "manager", "senior", "team"}));
  EXPECT_FALSE(engine.next_wakeup().has_value()) << "a resolve stops the escalation";
}

TEST(Escalation, AcknowledgementStopsTheClimbAndIsAnnounced) {
  AlertEngine engine(critical_config());
  const int64_t id = engine.observe(check("w1", "db", CheckState::critical, t0())).alerts[0].id;
  auto ack = engine.acknowledge(id, "ana", "looking", std::nullopt, t0() + 5min);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(channels_of(*ack, NotificationKind::acknowledged), V{"team"});
  EXPECT_TRUE(has_event(*ack, AlertEventType::acknowledged));
  EXPECT_FALSE(engine.next_wakeup().has_value());
  auto later = engine.tick(t0() + 3h);
  EXPECT_TRUE(later.intents.empty());
  EXPECT_FALSE(has_event(later, AlertEventType::response_time_breached)) << "acked within the response time";
  EXPECT_FALSE(engine.acknowledge(999, "ana", "", std::nullopt, t0()).ok());
}

TEST(Escalation, ExpiredAckRestartsFromTheCurrentLevel) {
  AlertEngine engine(critical_config());
  const int64_t id = engine.observe(check("w1", "db", CheckState::critical, t0())).alerts[0].id;
  engine.tick(t0() + 15min);  // L2 senior
  ASSERT_TRUE(engine.acknowledge(id, "ana", "until lunch", t0() + 2h, t0() + 20min).ok());
  EXPECT_EQ(engine.next_wakeup(), t0() + 2h);
  EXPECT_TRUE(engine.tick(t0() + 1h).intents.empty());

  auto expired = engine.tick(t0() + 2h);
  EXPECT_TRUE(has_event(expired, AlertEventType::ack_expired));
  EXPECT_EQ(channels_of(expired, NotificationKind::problem), V{"senior"}) << "re-triggers at the level it had reached";
  EXPECT_TRUE(channels_of(expired, NotificationKind::escalation).empty()) << "not straight to the director";
  // L3 comes the usual 15 minutes after L2.
  EXPECT_EQ(engine.next_wakeup(), t0() + 2h + 15min);
  EXPECT_EQ(channels_of(engine.tick(t0() + 2h + 15min), NotificationKind::escalation), V{"manager"});
}

TEST(Escalation, EscalateNowMovesUpOneLevelAndSaysWhy) {
  AlertEngine engine(critical_config());
  engine.observe(check("w1", "db", CheckState::critical, t0()));
  auto out = engine.escalate_now(AlertEngine::check_key("w1", "db"), "remediation restart_db failed", t0() + 1min);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(channels_of(*out, NotificationKind::escalation), V{"senior"});
  ASSERT_FALSE(out->events.empty());
  EXPECT_NE(out->events[0].message.find("remediation restart_db failed"), std::string::npos);
  EXPECT_EQ(engine.next_wakeup(), t0() + 15min) << "the response-time check";
  EXPECT_TRUE(engine.tick(t0() + 15min).intents.empty());
  EXPECT_EQ(engine.next_wakeup(), t0() + 1min + 15min) << "L3 follows after the usual gap";
  EXPECT_FALSE(engine.escalate_now("check:nope/x", "r", t0()).ok());
}

TEST(Escalation, LowerSeveritiesScaleTheirDelays) {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  AlertEngine engine(cfg);
  engine.observe(check("w1", "load", CheckState::warning, t0()));  // medium: 4h response
  EXPECT_TRUE(engine.tick(t0() + 3h).intents.empty());
  EXPECT_EQ(channels_of(engine.tick(t0() + 4h), NotificationKind::escalation), V{"senior"});
}

}  // namespace
}  // namespace baton::conductor::alerts

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using V = std::vector<std::string>;

TEST(Escalation, RaisedSeverityRenotifiesTheLevelReachedAndUsesTheFasterPolicy) {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  cfg.critical_severity = Severity::critical;
  AlertEngine engine(cfg);
  engine.observe(check("w1", "disk", CheckState::warning, t0()));  // medium: next level after 4h
  EXPECT_TRUE(engine.observe(check("w1", "disk", CheckState::warning, t0() + 5min)).intents.empty());
  auto worse = engine.observe(check("w1", "disk", CheckState::critical, t0() + 10min));
  EXPECT_EQ(channels_of(worse, NotificationKind::problem), V{"team"});
  EXPECT_TRUE(has_event(worse, AlertEventType::state_changed));
  EXPECT_EQ(worse.alerts[0].severity, Severity::critical);
  EXPECT_EQ(engine.next_wakeup(), t0() + 15min) << "critical's L2 at 15m counts from when it became hard";

  auto messages = messages_for(worse, t0() + 10min);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].alert.severity, Severity::critical);
  EXPECT_EQ(messages[0].intent.channel, "team");
}

}  // namespace
}  // namespace baton::conductor::alerts
