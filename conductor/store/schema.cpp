#include "conductor/store/schema.hpp"

namespace baton::conductor {

// Append only: a released database may be at any of these versions. Each
// entry moves the schema from version i to i+1 (PRAGMA user_version).
const std::vector<std::string>& schema_migrations() {
  static const std::vector<std::string> migrations = {
      R"sql(
CREATE TABLE workers (
  id                    TEXT PRIMARY KEY,
  hostname              TEXT NOT NULL DEFAULT '',
  version               TEXT NOT NULL DEFAULT '',
  labels                TEXT NOT NULL DEFAULT '[]',
  slots                 INTEGER NOT NULL DEFAULT 0,
  free_slots            INTEGER NOT NULL DEFAULT 0,
  heartbeat_interval_ms INTEGER NOT NULL DEFAULT 0,
  status                TEXT NOT NULL CHECK (status IN ('online', 'offline')),
  first_seen_ms         INTEGER NOT NULL,
  last_seen_ms          INTEGER NOT NULL,
  status_changed_ms     INTEGER NOT NULL,
  last_sequence         INTEGER NOT NULL DEFAULT 0,
  offline_reason        TEXT NOT NULL DEFAULT '',
  resources             TEXT NOT NULL DEFAULT '{}',
  gpus                  TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE worker_history (
  id        INTEGER PRIMARY KEY,
  worker_id TEXT NOT NULL,
  at_ms     INTEGER NOT NULL,
  status    TEXT NOT NULL,
  reason    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX worker_history_by_worker ON worker_history (worker_id, at_ms);
)sql",
  };
  return migrations;
}

}  // namespace baton::conductor
