#include <gtest/gtest.h>

#include "common/core/clock.hpp"
#include "conductor/core/worker_registry.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

class WorkerRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(ConductorStore::open(":memory:").value());
    config_.missed_heartbeats = 3;
    registry_ = std::make_unique<WorkerRegistry>(*store_, clock_, config_);
    ASSERT_TRUE(registry_->load().ok());
  }

  v1::WorkerRegister registration(const std::string& id) {
    v1::WorkerRegister r;
    r.set_worker_id(id);
    r.set_hostname(id + ".cluster");
    r.set_slots(8);
    r.add_labels("gpu");
    r.set_heartbeat_interval_ms(1000);
    r.add_gpus()->set_name("A100");
    return r;
  }
  v1::WorkerHeartbeat heartbeat(const std::string& id, uint64_t seq) {
    v1::WorkerHeartbeat h;
    h.set_worker_id(id);
    h.set_sequence(seq);
    h.set_heartbeat_interval_ms(1000);
    h.set_free_slots(5);
    h.mutable_resources()->set_cpu_percent(50);
    return h;
  }

  ManualClock clock_;
  WorkersConfig config_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<WorkerRegistry> registry_;
};

TEST_F(WorkerRegistryTest, RegistrationPutsTheWorkerOnlineInTheDatabase) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  auto stored = store_->find_worker("w1");
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored->has_value());
  const WorkerRecord& w = **stored;
  EXPECT_TRUE(w.online);
  EXPECT_EQ(w.hostname, "w1.cluster");
  EXPECT_EQ(w.slots, 8u);
  EXPECT_EQ(w.labels, std::vector<std::string>{"gpu"});
  EXPECT_EQ(w.heartbeat_interval, 1000ms);
  EXPECT_NE(w.gpus_json.find("A100"), std::string::npos);
  EXPECT_EQ(w.last_seen, clock_.now());
}

TEST_F(WorkerRegistryTest, OfflineOnlyAfterTheConfiguredNumberOfMissedHeartbeats) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  clock_.advance(2999ms);
  EXPECT_TRUE(registry_->sweep()->empty());
  EXPECT_TRUE(registry_->find("w1")->online);
  clock_.advance(1ms);
  EXPECT_EQ(*registry_->sweep(), std::vector<std::string>{"w1"});
  const auto* w = registry_->find("w1");
  EXPECT_FALSE(w->online);
  EXPECT_NE(w->offline_reason.find("3 intervals missed"), std::string::npos) << w->offline_reason;
  EXPECT_FALSE((*store_->find_worker("w1"))->online);
  EXPECT_TRUE(registry_->sweep()->empty()) << "already offline";
}

TEST_F(WorkerRegistryTest, HeartbeatsKeepAWorkerOnlineAndBringItBack) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    clock_.advance(900ms);
    ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", seq)).ok());
    EXPECT_TRUE(registry_->sweep()->empty());
  }
  clock_.advance(5s);
  EXPECT_EQ(registry_->sweep()->size(), 1u);
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 11)).ok());
  EXPECT_TRUE(registry_->find("w1")->online);
  EXPECT_EQ(registry_->find("w1")->free_slots, 5u);
  v1::Resources resources;
  ASSERT_TRUE(resources.ParseFromString(registry_->find("w1")->resources_pb));
  EXPECT_EQ(resources.cpu_percent(), 50);
  EXPECT_NE((*store_->find_worker("w1"))->resources_json.find("\"cpu_percent\":50"), std::string::npos)
      << "rendered on read";
}

TEST_F(WorkerRegistryTest, ARepeatedHeartbeatIsAppliedOnce) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 5)).ok());
  const auto seen = registry_->find("w1")->last_seen;
  clock_.advance(10s);
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 5)).ok());
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 4)).ok());
  EXPECT_EQ(registry_->find("w1")->last_seen, seen);
  EXPECT_EQ(registry_->find("w1")->last_sequence, 5u);
}

TEST_F(WorkerRegistryTest, ANewRegistrationRestartsTheSequence) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 50)).ok());
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  clock_.advance(1s);
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 1)).ok());
  EXPECT_EQ(registry_->find("w1")->last_seen, clock_.now());
}

TEST_F(WorkerRegistryTest, StoppingWorkerIsOfflineAtOnceWithItsReason) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  v1::WorkerStopping bye;
  bye.set_worker_id("w1");
  bye.set_reason("SIGTERM");
  ASSERT_TRUE(registry_->on_stopping(bye).ok());
  EXPECT_FALSE(registry_->find("w1")->online);
  EXPECT_EQ(registry_->find("w1")->offline_reason, "worker stopped: SIGTERM");
}

TEST_F(WorkerRegistryTest, ConductorRestartGivesOnlineWorkersAFreshGracePeriod) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  clock_.advance(1h);  // the conductor was down for an hour
  WorkerRegistry restarted(*store_, clock_, config_);
  ASSERT_TRUE(restarted.load().ok());
  EXPECT_TRUE(restarted.sweep()->empty()) << "the worker had no chance to reach the new conductor yet";
  clock_.advance(3s);
  EXPECT_EQ(restarted.sweep()->size(), 1u);
  EXPECT_EQ(restarted.find("w1")->first_seen, registry_->find("w1")->first_seen);
}

TEST_F(WorkerRegistryTest, SilenceTheConductorCouldNotHearIsExcused) {
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  ASSERT_TRUE(registry_->on_register(registration("w2")).ok());
  clock_.advance(2s);
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w2", 1)).ok());
  clock_.advance(10s);  // the broker link was down meanwhile
  registry_->excuse_silence_until(clock_.now());
  registry_->excuse_silence_until(clock_.now() - 5s);  // an older excuse does not shorten it
  clock_.advance(2999ms);
  EXPECT_TRUE(registry_->sweep()->empty()) << "each gets three intervals from the link's return";
  clock_.advance(1ms);
  EXPECT_EQ(registry_->sweep()->size(), 2u);
}

TEST_F(WorkerRegistryTest, StatusChangesAreRecordedAndAnnounced) {
  std::vector<std::pair<std::string, bool>> announced;
  registry_->set_status_listener([&](const WorkerRecord& w) { announced.emplace_back(w.id, w.online); });
  ASSERT_TRUE(registry_->on_register(registration("w1")).ok());
  clock_.advance(10s);
  ASSERT_TRUE(registry_->sweep().ok());
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("w1", 1)).ok());
  EXPECT_EQ(announced, (std::vector<std::pair<std::string, bool>>{{"w1", true}, {"w1", false}, {"w1", true}}));
  auto stmt = store_->db().prepare("SELECT COUNT(*) FROM worker_history WHERE worker_id = 'w1'");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*(*stmt)->step());
  EXPECT_EQ((*stmt)->column_int(0), 3);
}

TEST_F(WorkerRegistryTest, CountsOnlineAndOffline) {
  ASSERT_TRUE(registry_->on_register(registration("a")).ok());
  ASSERT_TRUE(registry_->on_register(registration("b")).ok());
  clock_.advance(2s);
  ASSERT_TRUE(registry_->on_heartbeat(heartbeat("b", 1)).ok());
  clock_.advance(1500ms);
  ASSERT_TRUE(registry_->sweep().ok());
  EXPECT_EQ(registry_->counts().online, 1u);
  EXPECT_EQ(registry_->counts().offline, 1u);
  auto db_counts = store_->count_workers();
  ASSERT_TRUE(db_counts.ok());
  EXPECT_EQ(db_counts->online, 1u);
  EXPECT_EQ(db_counts->offline, 1u);
}

}  // namespace
}  // namespace baton::conductor
