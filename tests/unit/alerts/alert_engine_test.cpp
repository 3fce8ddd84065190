#include <gtest/gtest.h>

#include "tests/unit/alerts/alert_test_support.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using V = std::vector<std::string>;

TEST(AlertEngine, SoftStatesBecomeHardAfterThreeAndNotifyOnce) {
  AlertEngine engine(four_level_config());
  auto first = engine.observe(check("w1", "disk", CheckState::critical, t0()));
  ASSERT_EQ(first.alerts.size(), 1u);
  EXPECT_FALSE(first.alerts[0].hard);
  EXPECT_TRUE(first.intents.empty());
  EXPECT_TRUE(has_event(first, AlertEventType::opened));
  EXPECT_TRUE(engine.observe(check("w1", "disk", CheckState::critical, t0() + 1min)).intents.empty());

  auto third = engine.observe(check("w1", "disk", CheckState::critical, t0() + 2min));
  EXPECT_TRUE(has_event(third, AlertEventType::became_hard));
  EXPECT_EQ(channels_of(third, NotificationKind::problem), V{"team"});
  ASSERT_EQ(third.alerts.size(), 1u);
  EXPECT_TRUE(third.alerts[0].hard);
  EXPECT_EQ(third.alerts[0].severity, Severity::high);
  EXPECT_EQ(third.alerts[0].id, first.alerts[0].id) << "one open alert per dedup key";

  EXPECT_TRUE(engine.observe(check("w1", "disk", CheckState::critical, t0() + 3min)).intents.empty());
  EXPECT_EQ(engine.open_alerts().size(), 1u);
}

TEST(AlertEngine, SoftProblemClearsSilentlyOnFirstOk) {
  AlertEngine engine(four_level_config());
  engine.observe(check("w1", "disk", CheckState::warning, t0()));
  auto ok = engine.observe(check("w1", "disk", CheckState::ok, t0() + 1min));
  ASSERT_EQ(ok.alerts.size(), 1u);
  EXPECT_FALSE(ok.alerts[0].open);
  EXPECT_TRUE(ok.intents.empty()) << "nobody was told of a soft problem";
  EXPECT_TRUE(engine.open_alerts().empty());
}

TEST(AlertEngine, HardProblemNeedsRecoveryStatesConsecutiveOks) {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  cfg.recovery_states = 2;
  AlertEngine engine(cfg);
  engine.observe(check("w1", "svc", CheckState::critical, t0()));
  EXPECT_TRUE(engine.observe(check("w1", "svc", CheckState::ok, t0() + 1min)).intents.empty());
  engine.observe(check("w1", "svc", CheckState::critical, t0() + 2min));
  engine.observe(check("w1", "svc", CheckState::ok, t0() + 3min));
  ASSERT_EQ(engine.open_alerts().size(), 1u) << "the CRITICAL in between reset the OK count";
  auto resolved = engine.observe(check("w1", "svc", CheckState::ok, t0() + 4min));
  EXPECT_EQ(channels_of(resolved, NotificationKind::resolved), V{"team"});
  EXPECT_TRUE(has_event(resolved, AlertEventType::resolved));
  EXPECT_TRUE(engine.open_alerts().empty());
}

TEST(AlertEngine, SeverityRulesMatchInOrderThenDefaults) {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  cfg.severity_rules.push_back(SeverityRule{"disk_*", CheckState::critical, "gpu", Severity::critical});
  cfg.severity_rules.push_back(SeverityRule{"disk_*", std::nullopt, "", Severity::low});
  AlertEngine engine(cfg);
  auto gpu = engine.observe(check("w1", "disk_root", CheckState::critical, t0(), {"gpu", "a100"}));
  auto plain = engine.observe(check("w2", "disk_root", CheckState::critical, t0()));
  auto other = engine.observe(check("w2", "load", CheckState::warning, t0()));
  EXPECT_EQ(gpu.alerts[0].severity, Severity::critical);
  EXPECT_EQ(plain.alerts[0].severity, Severity::low);
  EXPECT_EQ(other.alerts[0].severity, Severity::medium);
}

TEST(AlertEngine, CaseProblemsAreHardAtOnceAndResolveOnRecovery) {
  AlertEngine engine(four_level_config());
  auto stuck = engine.observe(CaseProblem{"c-7", CaseProblem::Kind::stuck, "step 2 past its timeout", t0()});
  ASSERT_EQ(stuck.alerts.size(), 1u);
  EXPECT_EQ(stuck.alerts[0].key, "case:c-7");
  EXPECT_EQ(stuck.alerts[0].severity, Severity::medium);
  EXPECT_EQ(channels_of(stuck, NotificationKind::problem), V{"team"});
  auto failed = engine.observe(CaseProblem{"c-7", CaseProblem::Kind::failed, "exit 3", t0() + 1min});
  EXPECT_EQ(failed.alerts[0].severity, Severity::high) << "failing raises the severity";
  EXPECT_EQ(failed.alerts[0].id, stuck.alerts[0].id);
  auto done = engine.observe(CaseProblem{"c-7", CaseProblem::Kind::recovered, "completed", t0() + 2min});
  EXPECT_EQ(channels_of(done, NotificationKind::resolved), V{"team"});
  EXPECT_TRUE(engine.open_alerts().empty());
}

TEST(AlertEngine, OfflineWorkerNotifiesAndItsChecksBecomeDependent) {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  AlertEngine engine(cfg);
  engine.observe(check("w1", "disk", CheckState::critical, t0()));
  auto offline = engine.observe(WorkerLiveness{"w1", false, t0() + 1min});
  EXPECT_EQ(channels_of(offline, NotificationKind::problem), V{"team"});
  EXPECT_TRUE(has_event(offline, AlertEventType::dependent));
  const AlertRecord* disk = engine.find_key(AlertEngine::check_key("w1", "disk"));
  ASSERT_NE(disk, nullptr);
  EXPECT_TRUE(disk->dependent);
  const AlertRecord* worker = engine.find_key(AlertEngine::worker_key("w1"));
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->severity, Severity::high);

  // A second check failing while the worker is away does not notify.
  auto load = engine.observe(check("w1", "load", CheckState::critical, t0() + 2min));
  EXPECT_TRUE(load.intents.empty());
  EXPECT_TRUE(load.alerts[0].dependent);

  auto online = engine.observe(WorkerLiveness{"w1", true, t0() + 3min});
  EXPECT_EQ(channels_of(online, NotificationKind::resolved), V{"team"}) << "the worker alert resolves";
  // The still-failing load check was never notified; now it speaks for itself.
  EXPECT_EQ(channels_of(online, NotificationKind::problem), V{"team"});
  EXPECT_TRUE(has_event(online, AlertEventType::independent));
}

TEST(AlertEngine, FlappingSuppressesNotificationsAndSaysSo) {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  cfg.recovery_states = 3;
  AlertEngine engine(cfg);
  TimePoint at = t0();
  auto first = engine.observe(check("w1", "svc", CheckState::critical, at));
  EXPECT_EQ(channels_of(first, NotificationKind::problem), V{"team"});

  bool started = false;
  std::vector<std::string> flapping_channels;
  for (int i = 0; i < 20 && !started; ++i) {
    at += 1min;
    auto out = engine.observe(check("w1", "svc", i % 2 == 0 ? CheckState::ok : CheckState::critical, at));
    started = has_event(out, AlertEventType::flapping_started);
    if (started) flapping_channels = channels_of(out, NotificationKind::flapping);
  }
  ASSERT_TRUE(started);
  EXPECT_EQ(flapping_channels, V{"team"}) << "those already told hear that it flaps";
  const AlertRecord* alert = engine.find_key(AlertEngine::check_key("w1", "svc"));
  ASSERT_NE(alert, nullptr);
  EXPECT_TRUE(alert->flapping);
  EXPECT_GT(alert->flap_percent, 50.0);

  // Escalation is due long since, but a flapping alert stays quiet.
  at += 2h;
  EXPECT_TRUE(engine.tick(at).intents.empty());

  bool stopped = false;
  EngineOutput out;
  for (int i = 0; i < 25 && !stopped; ++i) {
    at += 1min;
    out = engine.observe(check("w1", "svc", CheckState::critical, at));
    stopped = has_event(out, AlertEventType::flapping_stopped);
  }
  ASSERT_TRUE(stopped);
  // Steady again: the level due by now (L3 of high's 0/1h/2h/4h) is notified.
  EXPECT_EQ(channels_of(out, NotificationKind::escalation), V{"manager"});
}

TEST(AlertEngine, NextWakeupIsEmptyWithNothingScheduled) {
  AlertEngine engine(four_level_config());
  EXPECT_FALSE(engine.next_wakeup().has_value());
  engine.observe(check("w1", "disk", CheckState::critical, t0()));
  EXPECT_FALSE(engine.next_wakeup().has_value()) << "a soft alert has nothing due";
}

}  // namespace
}  // namespace baton::conductor::alerts
