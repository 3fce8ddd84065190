#include "conductor/store/conductor_store.hpp"

#include <nlohmann/json.hpp>

#include "common/codec/envelope_codec.hpp"
#include "conductor/store/schema.hpp"

namespace baton::conductor {

namespace {

constexpr const char* kWorkerColumns =
    "id, hostname, version, labels, slots, free_slots, heartbeat_interval_ms, status, first_seen_ms, "
    "last_seen_ms, status_changed_ms, last_sequence, offline_reason, resources, gpus, resources_pb, draining";

WorkerRecord read_worker(const sqlite::Statement& row) {
  WorkerRecord w;
  w.id = row.column_text(0);
  w.hostname = row.column_text(1);
  w.version = row.column_text(2);
  const auto labels = nlohmann::json::parse(row.column_text(3), nullptr, false);
  if (labels.is_array())
    for (const auto& l : labels)
      if (l.is_string()) w.labels.push_back(l.get<std::string>());
  w.slots = static_cast<unsigned>(row.column_int(4));
  w.free_slots = static_cast<unsigned>(row.column_int(5));
  w.heartbeat_interval = std::chrono::milliseconds(row.column_int(6));
  w.online = row.column_text(7) == "online";
  w.first_seen = from_unix_ms(row.column_int(8));
  w.last_seen = from_unix_ms(row.column_int(9));
  w.status_changed_at = from_unix_ms(row.column_int(10));
  w.last_sequence = static_cast<uint64_t>(row.column_int(11));
  w.offline_reason = row.column_text(12);
  w.resources_json = row.column_text(13);
  w.gpus_json = row.column_text(14);
  const auto gpus = nlohmann::json::parse(w.gpus_json, nullptr, false);
  if (gpus.is_array())
    for (const auto& g : gpus) w.gpu_indices.push_back(g.value("index", 0u));
  w.resources_pb = row.column_blob(15);
  w.draining = row.column_int(16) != 0;
  if (!w.resources_pb.empty()) {
    v1::Resources resources;
    if (resources.ParseFromString(w.resources_pb)) w.resources_json = codec::to_json(resources);
  }
  return w;
}

constexpr int kWriterCacheKib = 16 * 1024;

}  // namespace

Result<std::unique_ptr<ConductorStore>> ConductorStore::open(const std::string& path, bool read_only) {
  auto db = sqlite::Database::open(path, read_only);
  if (!db) return db.error();
  std::unique_ptr<ConductorStore> store(new ConductorStore(std::move(*db)));
  if (!read_only) {
    // The writer keeps more pages than SQLite's default 2 MiB: the check
    // history's indexes take every result at a spread of keys, and with the
    // small cache their pages were read back from the file again and again
    // (BM_StoreCheckResultBatched1000). Pages are allocated as they are used.
    if (auto st = store->db_.exec("PRAGMA cache_size=-" + std::to_string(kWriterCacheKib)); !st) return st.error();
    if (auto st = store->migrate(); !st) return st.error();
    if (auto st = store->db_.checkpoint_in_background(); !st) return st.error();
  } else if (store->schema_version() < static_cast<int>(schema_migrations().size())) {
    return make_error(Errc::database, path + " has schema version " + std::to_string(store->schema_version()) +
                                          "; the conductor has not created or upgraded it yet");
  }
  return store;
}

Status ConductorStore::migrate() {
  const auto& migrations = schema_migrations();
  const int current = db_.user_version();
  if (current > static_cast<int>(migrations.size()))
    return make_error(Errc::database, db_.path() + " has schema version " + std::to_string(current) +
                                          ", newer than this conductor knows (" +
                                          std::to_string(migrations.size()) + ")");
  for (int v = current; v < static_cast<int>(migrations.size()); ++v) {
    sqlite::Transaction tx(db_);
    if (!tx.begun()) return tx.begun();
    if (auto st = db_.exec(migrations[v]); !st) return st;
    if (auto st = db_.set_user_version(v + 1); !st) return st;
    if (auto st = tx.commit(); !st) return st;
  }
  return {};
}

int ConductorStore::schema_version() const { return const_cast<sqlite::Database&>(db_).user_version(); }

Status ConductorStore::begin_batch() {
  if (in_batch_) return {};
  if (auto st = db_.exec("BEGIN IMMEDIATE"); !st) return st;
  in_batch_ = true;
  return {};
}

Status ConductorStore::commit_batch() {
  if (!in_batch_) return {};
  in_batch_ = false;
  if (auto st = db_.exec("COMMIT"); !st) {
    (void)db_.exec("ROLLBACK");
    return st;
  }
  return {};
}

Status ConductorStore::upsert_worker(const WorkerRecord& w) {
  // Built once: the statement cache is keyed by the SQL text, and this runs per heartbeat.
  static const std::string sql =
      std::string("INSERT INTO workers (") + kWorkerColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
      "ON CONFLICT (id) DO UPDATE SET hostname = ?2, version = ?3, labels = ?4, slots = ?5, "
      "free_slots = ?6, heartbeat_interval_ms = ?7, status = ?8, last_seen_ms = ?10, "
      "status_changed_ms = ?11, last_sequence = ?12, offline_reason = ?13, resources = ?14, "
      "gpus = ?15, resources_pb = ?16, draining = ?17";
  auto stmt = db_.prepare(sql);
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  s.bind(1, w.id)
      .bind(2, w.hostname)
      .bind(3, w.version)
      .bind(4, nlohmann::json(w.labels).dump())
      .bind(5, w.slots)
      .bind(6, w.free_slots)
      .bind(7, static_cast<int64_t>(w.heartbeat_interval.count()))
      .bind(8, w.online ? "online" : "offline")
      .bind(9, to_unix_ms(w.first_seen))
      .bind(10, to_unix_ms(w.last_seen))
      .bind(11, to_unix_ms(w.status_changed_at))
      .bind(12, w.last_sequence)
      .bind(13, w.offline_reason)
      .bind(14, w.resources_json)
      .bind(15, w.gpus_json)
      .bind_blob(16, w.resources_pb)
      .bind(17, w.draining ? 1 : 0);
  return s.run();
}

Status ConductorStore::update_worker_heartbeat(const WorkerRecord& w) {
  auto stmt = db_.prepare(
      "UPDATE workers SET hostname = ?2, free_slots = ?3, heartbeat_interval_ms = ?4, status = ?5, "
      "last_seen_ms = ?6, status_changed_ms = ?7, last_sequence = ?8, offline_reason = ?9, resources_pb = ?10, "
      "draining = ?11 WHERE id = ?1");
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  s.bind(1, w.id)
      .bind(2, w.hostname)
      .bind(3, w.free_slots)
      .bind(4, static_cast<int64_t>(w.heartbeat_interval.count()))
      .bind(5, w.online ? "online" : "offline")
      .bind(6, to_unix_ms(w.last_seen))
      .bind(7, to_unix_ms(w.status_changed_at))
      .bind(8, w.last_sequence)
      .bind(9, w.offline_reason)
      .bind_blob(10, w.resources_pb)
      .bind(11, w.draining ? 1 : 0);
  if (auto st = s.run(); !st) return st;
  if (db_.changes() == 0) return upsert_worker(w);  // heard of before its registration
  return {};
}

Status ConductorStore::append_worker_history(const std::string& id, TimePoint at, bool online,
                                             const std::string& reason) {
  auto stmt = db_.prepare("INSERT INTO worker_history (worker_id, at_ms, status, reason) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, id).bind(2, to_unix_ms(at)).bind(3, online ? "online" : "offline").bind(4, reason);
  return (*stmt)->run();
}

Result<std::vector<WorkerRecord>> ConductorStore::list_workers() {
  auto stmt = db_.prepare(std::string("SELECT ") + kWorkerColumns + " FROM workers ORDER BY id");
  if (!stmt) return stmt.error();
  return sqlite::collect<WorkerRecord>(**stmt, read_worker);
}

Result<std::optional<WorkerRecord>> ConductorStore::find_worker(const std::string& id) {
  auto stmt = db_.prepare(std::string("SELECT ") + kWorkerColumns + " FROM workers WHERE id = ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, id);
  auto row = (*stmt)->step();
  if (!row) return row.error();
  std::optional<WorkerRecord> out;
  if (*row) out = read_worker(**stmt);
  (*stmt)->reset();
  return out;
}

Result<WorkerCounts> ConductorStore::count_workers() {
  auto stmt = db_.prepare(
      "SELECT COALESCE(SUM(status = 'online'), 0), COALESCE(SUM(status = 'offline'), 0) FROM workers");
  if (!stmt) return stmt.error();
  auto row = (*stmt)->step();
  if (!row) return row.error();
  WorkerCounts counts;
  counts.online = static_cast<unsigned>((*stmt)->column_int(0));
  counts.offline = static_cast<unsigned>((*stmt)->column_int(1));
  (*stmt)->reset();
  return counts;
}

Status ConductorStore::ping() {
  auto stmt = db_.prepare("SELECT 1");
  if (!stmt) return stmt.error();
  auto row = (*stmt)->step();
  (*stmt)->reset();
  if (!row) return row.error();
  return {};
}

}  // namespace baton::conductor
