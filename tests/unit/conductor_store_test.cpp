#include <gtest/gtest.h>

#include <filesystem>

#include "conductor/store/conductor_store.hpp"
#include "conductor/store/schema.hpp"

namespace baton::conductor {
namespace {

std::filesystem::path temp_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("baton-store-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir / "sub" / "baton.db";
}

WorkerRecord sample(const std::string& id) {
  WorkerRecord w;
  w.id = id;
  w.hostname = "host-" + id;
  w.labels = {"gpu", "a100"};
  w.slots = 4;
  w.free_slots = 3;
  w.online = true;
  w.heartbeat_interval = std::chrono::milliseconds(5000);
  w.first_seen = from_unix_ms(1000);
  w.last_seen = from_unix_ms(2000);
  w.status_changed_at = from_unix_ms(1500);
  w.last_sequence = 9;
  w.resources_json = R"({"cpu_percent":1.5})";
  return w;
}

TEST(ConductorStore, CreatesTheFileMigratesAndUsesWal) {
  const auto path = temp_db("create");
  auto store = ConductorStore::open(path.string());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ((*store)->schema_version(), static_cast<int>(schema_migrations().size()));
  auto mode = (*store)->db().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*(*mode)->step());
  EXPECT_EQ((*mode)->column_text(0), "wal");
  auto cache = (*store)->db().prepare("PRAGMA cache_size");
  ASSERT_TRUE(*(*cache)->step());
  EXPECT_EQ((*cache)->column_int(0), -16 * 1024) << "the writer's page cache, in KiB";
}

TEST(ConductorStore, WorkersRoundTripAndUpsert) {
  auto store = std::move(ConductorStore::open(":memory:").value());
  ASSERT_TRUE(store->upsert_worker(sample("b")).ok());
  ASSERT_TRUE(store->upsert_worker(sample("a")).ok());
  auto changed = sample("a");
  changed.online = false;
  changed.offline_reason = "gone";
  changed.first_seen = from_unix_ms(999'999);  // first_seen never moves
  ASSERT_TRUE(store->upsert_worker(changed).ok());

  auto all = store->list_workers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const WorkerRecord& a = (*all)[0];
  EXPECT_EQ(a.id, "a");
  EXPECT_FALSE(a.online);
  EXPECT_EQ(a.offline_reason, "gone");
  EXPECT_EQ(a.first_seen, from_unix_ms(1000));
  EXPECT_EQ(a.labels, (std::vector<std::string>{"gpu", "a100"}));
  EXPECT_EQ(a.resources_json, R"({"cpu_percent":1.5})");
  EXPECT_EQ(a.last_sequence, 9u);
  EXPECT_FALSE(store->find_worker("nobody")->has_value());
}

TEST(ConductorStore, AHeartbeatUpdatesItsColumnsAndInsertsAWorkerWithoutARow) {
  auto store = std::move(ConductorStore::open(":memory:").value());
  WorkerRecord registered = sample("a");
  registered.version = "1.2";
  ASSERT_TRUE(store->upsert_worker(registered).ok());

  WorkerRecord beat = registered;
  beat.labels = {"not", "written"};  // a heartbeat does not carry them
  beat.version = "not written";
  beat.hostname = "renamed";
  beat.free_slots = 1;
  beat.heartbeat_interval = std::chrono::milliseconds(7000);
  beat.online = false;
  beat.offline_reason = "why";
  beat.last_seen = from_unix_ms(5000);
  beat.status_changed_at = from_unix_ms(4000);
  beat.last_sequence = 42;
  beat.resources_pb = std::string("\x08\x01", 2);
  beat.draining = true;
  ASSERT_TRUE(store->update_worker_heartbeat(beat).ok());
  const WorkerRecord a = store->find_worker("a")->value();
  EXPECT_EQ(a.labels, registered.labels);
  EXPECT_EQ(a.version, "1.2");
  EXPECT_EQ(a.first_seen, from_unix_ms(1000));
  EXPECT_EQ(a.hostname, "renamed");
  EXPECT_EQ(a.free_slots, 1u);
  EXPECT_EQ(a.heartbeat_interval, std::chrono::milliseconds(7000));
  EXPECT_FALSE(a.online);
  EXPECT_EQ(a.offline_reason, "why");
  EXPECT_EQ(a.last_seen, from_unix_ms(5000));
  EXPECT_EQ(a.status_changed_at, from_unix_ms(4000));
  EXPECT_EQ(a.last_sequence, 42u);
  EXPECT_EQ(a.resources_pb, beat.resources_pb);
  EXPECT_TRUE(a.draining);

  // Heard of before its registration: the whole record goes in.
  ASSERT_TRUE(store->update_worker_heartbeat(sample("b")).ok());
  const auto b = store->find_worker("b").value();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->labels, sample("b").labels);
  EXPECT_EQ(b->last_sequence, 9u);
  EXPECT_EQ(store->list_workers()->size(), 2u);
}

TEST(ConductorStore, ReadOnlyInstanceSeesCommittedBatches) {
  const auto path = temp_db("readers");
  auto writer = std::move(ConductorStore::open(path.string()).value());
  auto reader = std::move(ConductorStore::open(path.string(), true).value());
  ASSERT_TRUE(writer->begin_batch().ok());
  ASSERT_TRUE(writer->upsert_worker(sample("w")).ok());
  EXPECT_EQ(reader->count_workers()->online, 0u) << "uncommitted";
  ASSERT_TRUE(writer->commit_batch().ok());
  EXPECT_EQ(reader->count_workers()->online, 1u);
  EXPECT_TRUE(reader->ping().ok());
  EXPECT_FALSE(reader->upsert_worker(sample("x")).ok()) << "read-only";
}

TEST(ConductorStore, RefusesADatabaseFromTheFuture) {
  const auto path = temp_db("future");
  {
    auto store = std::move(ConductorStore::open(path.string()).value());
    ASSERT_TRUE(store->db().set_user_version(999).ok());
  }
  auto again = ConductorStore::open(path.string());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("newer than this conductor"), std::string::npos);
}

TEST(ConductorStore, TheOperationsGuideQueriesWork) {
  auto store = std::move(ConductorStore::open(":memory:").value());
  auto stmt = store->db().prepare("SELECT COUNT(*) FROM workers WHERE status = 'online'");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*(*stmt)->step());
  EXPECT_EQ((*stmt)->column_int(0), 0);
}

}  // namespace
}  // namespace baton::conductor
