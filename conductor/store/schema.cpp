#include "conductor/store/schema.hpp"

#include "conductor/alerts/alert_store.hpp"
#include "conductor/schedule/schedule_store.hpp"

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
      R"sql(
CREATE TABLE cases (
  id                TEXT PRIMARY KEY,
  seq               INTEGER NOT NULL UNIQUE,
  workflow          TEXT NOT NULL,
  params            TEXT NOT NULL DEFAULT '{}',
  priority          INTEGER NOT NULL DEFAULT 0,
  status            TEXT NOT NULL CHECK (status IN
                      ('QUEUED', 'PROCESSING', 'EXECUTING', 'COMPLETED', 'FAILED', 'CANCELLED')),
  current_step      INTEGER NOT NULL DEFAULT 0,
  attempt           INTEGER NOT NULL DEFAULT 0,
  retry_base        INTEGER NOT NULL DEFAULT 0,
  worker_id         TEXT NOT NULL DEFAULT '',
  progress          INTEGER NOT NULL DEFAULT -1,
  progress_message  TEXT NOT NULL DEFAULT '',
  message           TEXT NOT NULL DEFAULT '',
  cancel_requested  INTEGER NOT NULL DEFAULT 0,
  created_ms        INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL,
  not_before_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_by_status ON cases (status, priority DESC, seq);
CREATE TABLE case_history (
  id        INTEGER PRIMARY KEY,
  case_id   TEXT NOT NULL REFERENCES cases (id),
  at_ms     INTEGER NOT NULL,
  status    TEXT NOT NULL,
  step      INTEGER NOT NULL,
  attempt   INTEGER NOT NULL,
  worker_id TEXT NOT NULL DEFAULT '',
  message   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_history_by_case ON case_history (case_id, id);
CREATE TABLE step_attempts (
  case_id        TEXT NOT NULL REFERENCES cases (id),
  step           INTEGER NOT NULL,
  attempt        INTEGER NOT NULL,
  step_name      TEXT NOT NULL DEFAULT '',
  worker_id      TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL,
  slots          INTEGER NOT NULL DEFAULT 0,
  gpus           TEXT NOT NULL DEFAULT '[]',
  pid            INTEGER NOT NULL DEFAULT 0,
  exit_code      INTEGER NOT NULL DEFAULT 0,
  message        TEXT NOT NULL DEFAULT '',
  output_tail    TEXT NOT NULL DEFAULT '',
  dispatched_ms  INTEGER NOT NULL,
  started_ms     INTEGER,
  finished_ms    INTEGER,
  PRIMARY KEY (case_id, step, attempt)
);
)sql",
      R"sql(
ALTER TABLE workers ADD COLUMN resources_pb BLOB NOT NULL DEFAULT x'';
)sql",
      R"sql(
ALTER TABLE workers ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;
)sql",
      // Stuck steps, kept apart from the history so alerting can find and
      // escalate them without parsing messages.
      R"sql(
CREATE TABLE case_problems (
  id        INTEGER PRIMARY KEY,
  case_id   TEXT NOT NULL REFERENCES cases (id),
  step      INTEGER NOT NULL,
  attempt   INTEGER NOT NULL,
  worker_id TEXT NOT NULL DEFAULT '',
  kind      TEXT NOT NULL,
  message   TEXT NOT NULL DEFAULT '',
  at_ms     INTEGER NOT NULL
);
CREATE INDEX case_problems_by_time ON case_problems (at_ms);
)sql",
      ScheduleStore::kSchema,
      // Check results: the latest per (worker, check) for reads and alerting,
      // and the history, where (worker, command) makes a repeated result a no-op.
      R"sql(
CREATE TABLE check_latest (
  worker_id        TEXT NOT NULL,
  check_name       TEXT NOT NULL,
  type             TEXT NOT NULL DEFAULT '',
  state            TEXT NOT NULL CHECK (state IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  output           TEXT NOT NULL DEFAULT '',
  output_truncated INTEGER NOT NULL DEFAULT 0,
  perfdata         TEXT NOT NULL DEFAULT '[]',
  duration_ms      INTEGER NOT NULL DEFAULT 0,
  at_ms            INTEGER NOT NULL,
  command_id       TEXT NOT NULL DEFAULT '',
  schedule         TEXT NOT NULL DEFAULT '',
  state_since_ms   INTEGER NOT NULL,
  consecutive      INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (worker_id, check_name)
);
CREATE TABLE check_history (
  id               INTEGER PRIMARY KEY,
  worker_id        TEXT NOT NULL,
  check_name       TEXT NOT NULL,
  type             TEXT NOT NULL DEFAULT '',
  state            TEXT NOT NULL,
  output           TEXT NOT NULL DEFAULT '',
  output_truncated INTEGER NOT NULL DEFAULT 0,
  perfdata         TEXT NOT NULL DEFAULT '[]',
  duration_ms      INTEGER NOT NULL DEFAULT 0,
  at_ms            INTEGER NOT NULL,
  command_id       TEXT NOT NULL,
  schedule         TEXT NOT NULL DEFAULT '',
  UNIQUE (worker_id, command_id)
);
CREATE INDEX check_history_by_check ON check_history (worker_id, check_name, id);
CREATE INDEX check_history_by_time ON check_history (at_ms);
CREATE TABLE maintenance_runs (
  command_id    TEXT PRIMARY KEY,
  worker_id     TEXT NOT NULL,
  task          TEXT NOT NULL,
  action        TEXT NOT NULL,
  schedule      TEXT NOT NULL DEFAULT '',
  dry_run       INTEGER NOT NULL DEFAULT 0,
  status        TEXT NOT NULL CHECK (status IN ('REQUESTED', 'OK', 'FAILED')),
  message       TEXT NOT NULL DEFAULT '',
  details       TEXT NOT NULL DEFAULT '{}',
  metrics       TEXT NOT NULL DEFAULT '{}',
  duration_ms   INTEGER NOT NULL DEFAULT 0,
  requested_ms  INTEGER NOT NULL,
  finished_ms   INTEGER
);
CREATE INDEX maintenance_runs_by_time ON maintenance_runs (requested_ms);
)sql",
      alerts::AlertStore::kSchema,
  };
  return migrations;
}

}  // namespace baton::conductor
