#include "conductor/alerts/alert_store.hpp"

namespace baton::conductor::alerts {

const char* AlertStore::kSchema = R"sql(
CREATE TABLE alerts (
  id                   INTEGER PRIMARY KEY,
  key                  TEXT NOT NULL,
  kind                 TEXT NOT NULL CHECK (kind IN ('check', 'case', 'worker_offline')),
  worker_id            TEXT NOT NULL DEFAULT '',
  check_name           TEXT NOT NULL DEFAULT '',
  case_id              TEXT NOT NULL DEFAULT '',
  labels               TEXT NOT NULL DEFAULT '[]',
  severity             TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  state                TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
  hard                 INTEGER NOT NULL DEFAULT 0,
  check_state          TEXT NOT NULL,
  non_ok_count         INTEGER NOT NULL DEFAULT 0,
  ok_count             INTEGER NOT NULL DEFAULT 0,
  flapping             INTEGER NOT NULL DEFAULT 0,
  flap_percent         REAL NOT NULL DEFAULT 0,
  flap_history         TEXT NOT NULL DEFAULT '',
  silenced             INTEGER NOT NULL DEFAULT 0,
  in_maintenance       INTEGER NOT NULL DEFAULT 0,
  dependent            INTEGER NOT NULL DEFAULT 0,
  acknowledged         INTEGER NOT NULL DEFAULT 0,
  ack_author           TEXT NOT NULL DEFAULT '',
  ack_comment          TEXT NOT NULL DEFAULT '',
  acked_ms             INTEGER,
  ack_until_ms         INTEGER,
  escalation_level     INTEGER NOT NULL DEFAULT -1,
  hard_since_ms        INTEGER,
  escalation_anchor_ms INTEGER,
  next_escalation_ms   INTEGER,
  last_notified        TEXT NOT NULL DEFAULT '{}',
  response_breached    INTEGER NOT NULL DEFAULT 0,
  notified_channels    TEXT NOT NULL DEFAULT '[]',
  first_seen_ms        INTEGER NOT NULL,
  last_seen_ms         INTEGER NOT NULL,
  resolved_ms          INTEGER,
  last_output          TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alerts_open_by_key ON alerts (key) WHERE state = 'open';
CREATE INDEX alerts_by_state ON alerts (state, id);
CREATE TABLE alert_events (
  id       INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts (id),
  at_ms    INTEGER NOT NULL,
  type     TEXT NOT NULL,
  message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);
CREATE TABLE notifications (
  id       INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts (id),
  channel  TEXT NOT NULL,
  level    INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  attempt  INTEGER NOT NULL,
  outcome  TEXT NOT NULL CHECK (outcome IN ('sent', 'failed', 'rate_limited', 'abandoned')),
  error    TEXT NOT NULL DEFAULT '',
  at_ms    INTEGER NOT NULL
);
CREATE INDEX notifications_by_alert ON notifications (alert_id, id);
CREATE TABLE silences (
  id                INTEGER PRIMARY KEY,
  worker            TEXT NOT NULL DEFAULT '',
  check_glob        TEXT NOT NULL DEFAULT '',
  label             TEXT NOT NULL DEFAULT '',
  severity          TEXT,
  starts_ms         INTEGER NOT NULL,
  ends_ms           INTEGER NOT NULL,
  expire_on_resolve INTEGER NOT NULL DEFAULT 0,
  author            TEXT NOT NULL DEFAULT '',
  comment           TEXT NOT NULL DEFAULT ''
);
CREATE TABLE maintenance_windows (
  id        INTEGER PRIMARY KEY,
  workers   TEXT NOT NULL DEFAULT '[]',
  labels    TEXT NOT NULL DEFAULT '[]',
  starts_ms INTEGER NOT NULL,
  ends_ms   INTEGER NOT NULL,
  author    TEXT NOT NULL DEFAULT '',
  comment   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE remediation_runs (
  id          INTEGER PRIMARY KEY,
  alert_key   TEXT NOT NULL,
  worker_id   TEXT NOT NULL,
  check_name  TEXT NOT NULL,
  action      TEXT NOT NULL,
  params      TEXT NOT NULL DEFAULT '{}',
  started_ms  INTEGER NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN
                ('running', 'awaiting_verification', 'verifying', 'verified', 'failed', 'verify_failed')),
  message     TEXT NOT NULL DEFAULT '',
  verify_ms   INTEGER,
  finished_ms INTEGER
);
CREATE INDEX remediation_runs_by_start ON remediation_runs (started_ms);
)sql";

}  // namespace baton::conductor::alerts
