#include <gtest/gtest.h>
#include <signal.h>

#include "common/amqp/topology_names.hpp"
#include "common/app/exit_codes.hpp"
#include "common/sqlite/database.hpp"
#include "tests/integration/support/broker_env.hpp"
#include "tests/integration/support/system.hpp"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::System;

bool is_online(const nlohmann::json& w) { return w.is_object() && w["status"] == "online"; }
bool is_offline(const nlohmann::json& w) { return w.is_object() && w["status"] == "offline"; }

TEST(System, WorkerShowsUpOnlineThroughTheApiAndBatonctl) {
  System sys("online");
  sys.start_conductor();
  sys.start_worker("gpu-01");
  ASSERT_TRUE(eventually([&] { return is_online(sys.worker("gpu-01")); }, 15s)) << sys.conductor().output();

  const auto w = sys.worker("gpu-01");
  EXPECT_EQ(w["labels"], nlohmann::json({"gpu", "test"}));
  EXPECT_EQ(w["slots"], 2);
  EXPECT_FALSE(w["hostname"].get<std::string>().empty());
  // Heartbeats carry the host's resources.
  ASSERT_TRUE(eventually([&] { return sys.worker("gpu-01")["resources"].contains("memory_total_bytes"); }, 10s));
  EXPECT_FALSE(sys.worker("gpu-01")["resources"]["disks"].empty());

  std::string out;
  EXPECT_EQ(sys.batonctl("worker list --json", &out), 0);
  const auto listed = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << out;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], "gpu-01");
  EXPECT_EQ(listed[0]["status"], "online");

  EXPECT_EQ(sys.batonctl("worker list", &out), 0);
  EXPECT_NE(out.find("gpu-01"), std::string::npos);
  EXPECT_NE(out.find("online"), std::string::npos);

  EXPECT_EQ(sys.batonctl("status", &out), 0) << out;
  int status = 0;
  const auto health = sys.api("/health", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(health["status"], "healthy");
  EXPECT_EQ(health["components"]["workers"]["online"], 1);
}

TEST(System, GarbageOnTheConductorQueueIsDeadLetteredAndTheConductorCarriesOn) {
  System sys("garbage");
  sys.start_conductor();
  const auto vhost = sys.broker().vhost;
  testing::mgmt_publish(vhost, amqp::kEventsExchange, "event.junk.nobody", "this is not protobuf",
                        "application/x-protobuf");
  testing::mgmt_publish(vhost, amqp::kEventsExchange, "event.junk.nobody", "{\"no\": \"envelope\"}",
                        "application/json");
  ASSERT_TRUE(eventually([&] { return testing::queue_depth(vhost, amqp::kDeadQueue) == 2; }, 15s))
      << sys.conductor().output();
  const auto dead = testing::take_messages(vhost, amqp::kDeadQueue, 2);
  ASSERT_EQ(dead.size(), 2u);
  for (const auto& m : dead) {
    const auto& headers = m["properties"]["headers"];
    EXPECT_FALSE(headers["x-baton-reason"].get<std::string>().empty());
    EXPECT_EQ(headers["x-baton-original-queue"], amqp::kConductorQueue);
  }
  EXPECT_EQ(dead[0]["payload"], "this is not protobuf");

  // Still alive, still consuming: a valid JSON envelope from a script is applied.
  testing::mgmt_publish(vhost, amqp::kEventsExchange, "event.heartbeat.script-01",
                        R"({"message_id":"j1","worker_heartbeat":{"worker_id":"script-01","sequence":"1",)"
                        R"("heartbeat_interval_ms":60000,"hostname":"scripted"}})",
                        "application/json");
  ASSERT_TRUE(eventually([&] { return is_online(sys.worker("script-01")); }, 15s));
  EXPECT_EQ(sys.worker("script-01")["hostname"], "scripted");
  EXPECT_TRUE(sys.conductor().running());
  EXPECT_EQ(testing::queue_depth(vhost, amqp::kConductorQueue), 0);
}

// Runs SQL on a stopped conductor's database (it has created the schema).
void sabotage(System& sys, const std::string& sql) {
  sys.start_conductor();
  ASSERT_EQ(sys.stop_conductor(), 0) << sys.conductor().output();
  auto db = sqlite::Database::open((sys.dir() / "baton.db").string());
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->exec(sql).ok()) << sql;
}

// One heartbeat from worker "doomed" (which announces the interval given),
// then the conductor must stop with kExitDatabaseFailed.
void heartbeat_doomed_and_expect_database_exit(System& sys, int interval_ms) {
  testing::mgmt_publish(sys.broker().vhost, amqp::kEventsExchange, "event.heartbeat.doomed",
                        R"({"message_id":"d1","worker_heartbeat":{"worker_id":"doomed","sequence":"1",)"
                        R"("heartbeat_interval_ms":)" + std::to_string(interval_ms) +
                            R"(,"hostname":"doomed-host"}})",
                        "application/json");
  const auto status = sys.conductor().wait_exit(15s);
  ASSERT_TRUE(status.has_value()) << "still running: " << sys.conductor().output();
  EXPECT_EQ(*status, kExitDatabaseFailed) << sys.conductor().output();
}

TEST(System, ACommitTheDatabaseRefusesStopsTheConductorAndARestartAppliesTheEvent) {
  System sys("commitfail");
  // A trigger that makes any transaction writing worker "doomed" fail at its
  // COMMIT (a deferred foreign key), as a full disk or an I/O error would.
  ASSERT_NO_FATAL_FAILURE(sabotage(sys,
                                   "CREATE TABLE sabotage_parent (id TEXT PRIMARY KEY);"
                                   "CREATE TABLE sabotage (parent TEXT REFERENCES sabotage_parent (id) "
                                   "DEFERRABLE INITIALLY DEFERRED);"
                                   "CREATE TRIGGER sabotage_doomed AFTER INSERT ON workers WHEN NEW.id = 'doomed' "
                                   "BEGIN INSERT INTO sabotage (parent) VALUES ('none'); END;"));
  const auto db_path = (sys.dir() / "baton.db").string();
  sys.start_conductor();
  ASSERT_NO_FATAL_FAILURE(heartbeat_doomed_and_expect_database_exit(sys, 60000));
  EXPECT_NE(sys.conductor().output().find("the database refused a write"), std::string::npos)
      << sys.conductor().output();

  // Fixed, restarted: the heartbeat comes back from the broker and is written.
  {
    auto db = sqlite::Database::open(db_path);
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE(db->exec("DROP TRIGGER sabotage_doomed").ok());
  }
  sys.start_conductor();
  ASSERT_TRUE(eventually([&] { return is_online(sys.worker("doomed")); }, 15s)) << sys.conductor().output();
  EXPECT_EQ(sys.worker("doomed")["hostname"], "doomed-host");
}

// A database error in a timer's work (here the offline sweep) leaves memory
// ahead of the database as much as one in an event does: the worker would
// stay online in the database for good.
TEST(System, ADatabaseErrorInTheOfflineSweepStopsTheConductor) {
  System sys("sweepfail");
  ASSERT_NO_FATAL_FAILURE(sabotage(sys,
                                   "CREATE TRIGGER sabotage_offline BEFORE UPDATE ON workers "
                                   "WHEN NEW.id = 'doomed' AND NEW.status = 'offline' "
                                   "BEGIN SELECT RAISE(ABORT, 'sabotaged'); END;"));
  sys.start_conductor();
  // One heartbeat, then silence: the sweep calls it offline and cannot write that.
  ASSERT_NO_FATAL_FAILURE(heartbeat_doomed_and_expect_database_exit(sys, 100));
  EXPECT_NE(sys.conductor().output().find("offline sweep failed"), std::string::npos) << sys.conductor().output();
}

TEST(System, KilledWorkerIsShownOfflineAfterMissedHeartbeats) {
  System sys("killed");
  sys.start_conductor();
  auto& worker = sys.start_worker("victim", "300ms");
  ASSERT_TRUE(eventually([&] { return is_online(sys.worker("victim")); }, 15s));
  worker.signal(SIGKILL);
  ASSERT_TRUE(eventually([&] { return is_offline(sys.worker("victim")); }, 15s));
  const auto w = sys.worker("victim");
  EXPECT_NE(w["offline_reason"].get<std::string>().find("no heartbeat"), std::string::npos) << w.dump();
  int status = 0;
  EXPECT_EQ(sys.api("/health", &status)["status"], "degraded");
  EXPECT_EQ(status, 200);
  std::string out;
  EXPECT_EQ(sys.batonctl("status", &out), 1) << out;
}

TEST(System, StoppedWorkerSaysGoodbyeAndConductorRestartKeepsLastSeen) {
  System sys("restart");
  sys.start_conductor();
  auto& worker = sys.start_worker("w1", "300ms");
  ASSERT_TRUE(eventually([&] { return is_online(sys.worker("w1")); }, 15s));
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(10s), 0) << worker.output();
  ASSERT_TRUE(eventually([&] { return is_offline(sys.worker("w1")); }, 5s));
  const auto before = sys.worker("w1");
  EXPECT_NE(before["offline_reason"].get<std::string>().find("worker stopped"), std::string::npos);

  EXPECT_EQ(sys.stop_conductor(), 0) << sys.conductor().output();
  sys.start_conductor();
  const auto after = sys.worker("w1");
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(after["last_seen"], before["last_seen"]);
  EXPECT_EQ(after["status"], "offline");

  sys.start_worker("w1", "300ms");
  EXPECT_TRUE(eventually([&] { return is_online(sys.worker("w1")); }, 15s));
}

TEST(System, ConductorAndWorkerReconnectAfterTheBrokerRestarts) {
  System sys("broker-restart");
  sys.start_conductor();
  sys.start_worker("w1", "300ms");
  ASSERT_TRUE(eventually([&] { return is_online(sys.worker("w1")); }, 15s));

  ASSERT_EQ(testing::broker_ctl({"stop_app"}), 0);
  EXPECT_TRUE(eventually([&] { return sys.api("/health")["components"]["broker"]["status"] == "down"; }, 20s));
  int status = 0;
  sys.api("/health", &status);
  EXPECT_EQ(status, 503);
  ASSERT_EQ(testing::broker_ctl({"start_app"}), 0);

  EXPECT_TRUE(eventually([&] { return sys.api("/health")["components"]["broker"]["status"] == "up"; }, 30s));
  // Fresh heartbeats flow again: the sequence keeps climbing.
  const auto seq = [&] { return sys.worker("w1")["last_seen"].get<std::string>(); };
  const std::string seen = seq();
  EXPECT_TRUE(eventually([&] { return seq() != seen && is_online(sys.worker("w1")); }, 30s));
  EXPECT_TRUE(sys.conductor().running());
}

}  // namespace
}  // namespace baton
