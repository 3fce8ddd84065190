#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "conductor/alerts/alert_store.hpp"
#include "tests/unit/alerts/alert_test_support.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using V = std::vector<std::string>;

class AlertStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-alerts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    db_ = std::make_unique<sqlite::Database>(open());
    ASSERT_TRUE(db_->exec(AlertStore::kSchema).ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  sqlite::Database open() {
    auto db = sqlite::Database::open((dir_ / "baton.db").string());
    EXPECT_TRUE(db.ok());
    return std::move(db.value());
  }
  void save(const EngineOutput& out) {
    sqlite::Transaction tx(*db_);
    ASSERT_TRUE(tx.begun().ok());
    ASSERT_TRUE(AlertStore(*db_).save(out).ok());
    ASSERT_TRUE(tx.commit().ok());
  }
  // A fresh connection and engine, as after a conductor restart.
  AlertEngine restarted(const AlertsConfig& cfg, TimePoint now) {
    db_ = std::make_unique<sqlite::Database>(open());
    auto state = AlertStore(*db_).load(now);
    EXPECT_TRUE(state.ok());
    AlertEngine engine(cfg);
    engine.restore(std::move(state.value()));
    return engine;
  }

  std::filesystem::path dir_;
  std::unique_ptr<sqlite::Database> db_;
};

AlertsConfig critical_config() {
  AlertsConfig cfg = four_level_config();
  cfg.soft_states = 1;
  cfg.severity_rules.push_back(SeverityRule{"", std::nullopt, "", Severity::critical});
  return cfg;
}

TEST_F(AlertStoreTest, RestartMidEscalationResumesAtTheRightLevel) {
  const AlertsConfig cfg = critical_config();
  {
    AlertEngine engine(cfg);
    save(engine.observe(check("w1", "db", CheckState::critical, t0(), {"gpu"})));
    auto l2 = engine.tick(t0() + 15min);
    ASSERT_EQ(channels_of(l2, NotificationKind::escalation), V{"senior"});
    save(l2);
  }
  AlertEngine engine = restarted(cfg, t0() + 20min);
  const AlertRecord* alert = engine.find_key(AlertEngine::check_key("w1", "db"));
  ASSERT_NE(alert, nullptr);
  EXPECT_EQ(alert->escalation_level, 1);
  EXPECT_EQ(alert->hard_since, t0());
  EXPECT_TRUE(alert->response_breached);
  EXPECT_EQ(alert->labels, V{"gpu"});
  EXPECT_EQ(engine.next_wakeup(), t0() + 30min);

  EXPECT_TRUE(engine.tick(t0() + 20min).intents.empty()) << "neither L1 nor L2 is repeated";
  EXPECT_EQ(channels_of(engine.tick(t0() + 30min), NotificationKind::escalation), V{"manager"});

  // New alerts do not reuse ids of stored ones.
  auto other = engine.observe(check("w2", "db", CheckState::critical, t0() + 31min));
  EXPECT_GT(other.alerts[0].id, alert->id);
}

TEST_F(AlertStoreTest, HistoryNotificationsAndResolvedRowsAreKept) {
  AlertEngine engine(critical_config());
  auto opened = engine.observe(check("w1", "db", CheckState::critical, t0()));
  save(opened);
  const int64_t id = opened.alerts[0].id;
  save(engine.observe(check("w1", "db", CheckState::ok, t0() + 1min)));
  AlertStore store(*db_);
  ASSERT_TRUE(store.record_notification(NotificationAttempt{id, "team", 0, NotificationKind::problem, 1,
                                                            NotificationAttempt::Outcome::failed, "HTTP 500",
                                                            t0()}).ok());
  ASSERT_TRUE(store.record_notification(NotificationAttempt{id, "team", 0, NotificationKind::problem, 2,
                                                            NotificationAttempt::Outcome::sent, "", t0()}).ok());

  auto events = store.events_of(id);
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 3u);
  EXPECT_EQ(events->front().type, AlertEventType::opened);
  EXPECT_EQ(events->back().type, AlertEventType::resolved);

  auto sent = store.notifications_of(id);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->size(), 2u);
  EXPECT_EQ((*sent)[0].error, "HTTP 500");
  EXPECT_EQ((*sent)[1].outcome, NotificationAttempt::Outcome::sent);

  auto all = store.list_alerts(false, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_FALSE((*all)[0].open);
  EXPECT_EQ((*all)[0].resolved_at, t0() + 1min);
  EXPECT_EQ((*all)[0].notified_channels, std::set<std::string>{"team"});
  EXPECT_TRUE(store.list_alerts(true, 10)->empty());
}

TEST_F(AlertStoreTest, SilencesMaintenanceAndFlapHistorySurviveARestart) {
  AlertsConfig cfg = critical_config();
  {
    AlertEngine engine(cfg);
    Silence silence;
    silence.matcher.check = "db*";
    silence.matcher.severity = Severity::critical;
    silence.starts_at = t0();
    silence.ends_at = t0() + 1h;
    silence.author = "ana";
    save(engine.add_silence(silence, t0()));
    MaintenanceWindow window;
    window.workers = {"gpu-*"};
    window.starts_at = t0();
    window.ends_at = t0() + 2h;
    save(engine.add_maintenance(window, t0()));
    save(engine.observe(check("w1", "db", CheckState::critical, t0())));
    save(engine.observe(check("w1", "db", CheckState::warning, t0() + 1min)));
  }
  AlertEngine engine = restarted(cfg, t0() + 2min);
  ASSERT_EQ(engine.silences().size(), 1u);
  EXPECT_EQ(engine.silences()[0].author, "ana");
  EXPECT_EQ(engine.silences()[0].matcher.severity, Severity::critical);
  EXPECT_TRUE(engine.in_maintenance("gpu-3", t0() + 2min));
  const AlertRecord* alert = engine.find_key(AlertEngine::check_key("w1", "db"));
  ASSERT_NE(alert, nullptr);
  EXPECT_TRUE(alert->silenced);
  EXPECT_EQ(alert->flap_history.size(), 20u);
  EXPECT_GT(alert->flap_percent, 0.0);
  auto released = engine.tick(t0() + 1h);
  EXPECT_EQ(channels_of(released, NotificationKind::problem), V{"director"}) << "the level due by then";
}

TEST_F(AlertStoreTest, RefusesASecondOpenRowForOneKey) {
  AlertRecord first;
  first.id = 1;
  first.key = "worker:w1";
  first.kind = AlertKind::worker_offline;
  EngineOutput out;
  out.alerts.push_back(first);
  save(out);
  out.alerts[0].id = 2;
  EXPECT_FALSE(AlertStore(*db_).save(out).ok());
  out.alerts[0].id = 1;
  out.alerts[0].open = false;
  out.alerts.push_back(first);
  out.alerts[1].id = 2;
  EXPECT_TRUE(AlertStore(*db_).save(out).ok()) << "resolved rows are written first, so a reopen fits";
}

TEST_F(AlertStoreTest, RemediationRunsAreListedNewestFirst) {
  AlertStore store(*db_);
  RemediationRun run;
  run.id = 1;
  run.alert_key = "check:w1/svc";
  run.worker_id = "w1";
  run.check = "svc";
  run.action = "restart_service";
  run.params = {{"unit", "nginx"}};
  run.started_at = t0();
  ASSERT_TRUE(store.save_remediation(run).ok());
  run.outcome = RemediationRun::Outcome::verified;
  run.finished_at = t0() + 2min;
  ASSERT_TRUE(store.save_remediation(run).ok());
  run.id = 2;
  run.outcome = RemediationRun::Outcome::running;
  run.finished_at.reset();
  ASSERT_TRUE(store.save_remediation(run).ok());

  auto list = store.list_remediations(10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, 2);
  EXPECT_EQ((*list)[1].outcome, RemediationRun::Outcome::verified);
  EXPECT_EQ((*list)[1].params.at("unit"), "nginx");
  EXPECT_EQ((*list)[1].finished_at, t0() + 2min);
  EXPECT_EQ(*store.max_remediation_id(), 2);
  auto restore = store.remediations_for_restore(t0() + 2h);
  ASSERT_TRUE(restore.ok());
  ASSERT_EQ(restore->size(), 1u) << "only the run still in flight is older than the window";
  EXPECT_EQ((*restore)[0].id, 2);
}

}  // namespace
}  // namespace baton::conductor::alerts
