#include <gtest/gtest.h>

#include "tests/unit/alerts/alert_test_support.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using V = std::vector<std::string>;

AlertsConfig immediate_config() {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  return cfg;
}

TEST(Silences, MatchersTakeGlobsAndEveryFieldMustMatch) {
  AlertRecord alert;
  alert.worker_id = "gpu-07";
  alert.check = "disk_root";
  alert.labels = {"gpu", "rack3"};
  alert.severity = Severity::high;
  EXPECT_TRUE((AlertMatcher{"gpu-*", "disk_*", "rack?", Severity::high}.matches(alert)));
  EXPECT_TRUE((AlertMatcher{}.matches(alert)));
  EXPECT_FALSE((AlertMatcher{"cpu-*", "", "", std::nullopt}.matches(alert)));
  EXPECT_FALSE((AlertMatcher{"gpu-*", "", "", Severity::low}.matches(alert)));
  EXPECT_FALSE((AlertMatcher{"", "", "hpc", std::nullopt}.matches(alert)));
}

TEST(Silences, SilencedAlertIsRecordedButHeldUntilTheSilenceEnds) {
  AlertEngine engine(immediate_config());
  Silence silence;
  silence.matcher.check = "disk*";
  silence.starts_at = t0();
  silence.ends_at = t0() + 30min;
  auto added = engine.add_silence(silence, t0());
  ASSERT_EQ(added.silences.size(), 1u);
  EXPECT_EQ(added.silences[0].id, 1);

  auto out = engine.observe(check("w1", "disk", CheckState::critical, t0() + 1min));
  ASSERT_EQ(out.alerts.size(), 1u);
  EXPECT_TRUE(out.alerts[0].silenced);
  EXPECT_TRUE(out.alerts[0].hard);
  EXPECT_TRUE(out.intents.empty());
  EXPECT_TRUE(has_event(out, AlertEventType::silenced));
  EXPECT_EQ(engine.next_wakeup(), t0() + 30min);

  auto after = engine.tick(t0() + 30min);
  EXPECT_TRUE(has_event(after, AlertEventType::unsilenced));
  EXPECT_EQ(channels_of(after, NotificationKind::problem), V{"team"});
  EXPECT_TRUE(engine.silences().empty());
}

TEST(Silences, ResolveReachesEveryToldChannelEvenWhenSilenced) {
  AlertEngine engine(immediate_config());
  auto opened = engine.observe(check("w1", "disk", CheckState::critical, t0()));
  EXPECT_EQ(channels_of(opened, NotificationKind::problem), V{"team"});
  Silence silence;
  silence.matcher.worker = "w1";
  silence.starts_at = t0() + 1min;
  silence.ends_at = t0() + 5h;
  silence.expire_on_resolve = true;
  engine.add_silence(silence, t0() + 1min);
  EXPECT_TRUE(engine.tick(t0() + 2h).intents.empty()) << "no escalation while silenced";

  auto resolved = engine.observe(check("w1", "disk", CheckState::ok, t0() + 3h));
  EXPECT_EQ(channels_of(resolved, NotificationKind::resolved), V{"team"});
  ASSERT_EQ(resolved.silences.size(), 1u) << "expire_on_resolve ended the silence";
  EXPECT_EQ(resolved.silences[0].ends_at, t0() + 3h);
}

TEST(Silences, ExpireSilenceReleasesHeldAlerts) {
  AlertEngine engine(immediate_config());
  Silence silence;
  silence.starts_at = t0();
  silence.ends_at = t0() + 24h;
  const int64_t id = engine.add_silence(silence, t0()).silences[0].id;
  engine.observe(CaseProblem{"c1", CaseProblem::Kind::failed, "boom", t0()});
  auto expired = engine.expire_silence(id, t0() + 10min);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(channels_of(*expired, NotificationKind::problem), V{"team"});
  EXPECT_FALSE(engine.expire_silence(id, t0() + 11min).ok());
}

TEST(Maintenance, WindowHoldsAlertsAndSchedulesOfCoveredWorkers) {
  AlertEngine engine(immediate_config());
  engine.observe(check("gpu-1", "disk", CheckState::ok, t0(), {"gpu"}));
  MaintenanceWindow window;
  window.labels = {"gpu"};
  window.starts_at = t0() + 1h;
  window.ends_at = t0() + 2h;
  engine.add_maintenance(window, t0());
  EXPECT_FALSE(engine.in_maintenance("gpu-1", t0()));
  EXPECT_EQ(engine.next_wakeup(), t0() + 1h) << "the window's start is a wake-up";
  EXPECT_TRUE(engine.in_maintenance("gpu-1", t0() + 1h));
  EXPECT_FALSE(engine.in_maintenance("cpu-1", t0() + 1h));

  auto during = engine.observe(check("gpu-1", "disk", CheckState::critical, t0() + 90min, {"gpu"}));
  EXPECT_TRUE(during.intents.empty());
  EXPECT_TRUE(during.alerts[0].in_maintenance);
  auto after = engine.tick(t0() + 2h);
  EXPECT_TRUE(has_event(after, AlertEventType::maintenance_ended));
  EXPECT_EQ(channels_of(after, NotificationKind::problem), V{"team"});
  EXPECT_FALSE(engine.in_maintenance("gpu-1", t0() + 2h));
}

}  // namespace
}  // namespace baton::conductor::alerts
