#pragma once

#include <chrono>
#include <map>
#include <string>

#include "common/amqp/broker_settings.hpp"
#include "common/config/common_config.hpp"
#include "conductor/alerts/alerts_config.hpp"
#include "conductor/core/database_keeper.hpp"
#include "conductor/tasks/task_definition.hpp"
#include "conductor/workflow.hpp"

namespace baton::conductor {

struct HttpConfig {
  std::string listen = "127.0.0.1";
  int port = 8080;           // 0 picks a free port (tests); the chosen one is logged and written to port_file
  std::string port_file;     // optional: where to write the bound port
  std::string token;         // mutating calls need it when set; BATON_API_TOKEN overrides
};

struct WorkersConfig {
  // A worker is offline after this many heartbeat intervals without one.
  unsigned missed_heartbeats = 3;
  // How often the conductor looks for silent workers.
  std::chrono::milliseconds sweep_interval{1000};
};

struct CasesConfig {
  enum class OnWorkerLost { requeue, fail };
  // What happens to a step whose worker went offline.
  OnWorkerLost on_worker_lost = OnWorkerLost::requeue;
  // A step still running this long after its timeout is flagged as stuck
  // (the worker should have killed it by then).
  std::chrono::milliseconds stuck_grace{60'000};
  // A step whose online worker has not listed it in its heartbeats for this
  // long is flagged as stuck too (0: off).
  std::chrono::milliseconds job_heartbeat_timeout{120'000};
  // What a stuck step's case does: retry (the attempt counts against the
  // step's retry policy), requeue (it does not) or fail.
  enum class OnStuck { retry, requeue, fail };
  OnStuck on_stuck = OnStuck::retry;
};

// The conductor acks its inbox only after the batch's commit, so the broker
// keeps pushing only while commit-and-ack turnarounds fit in the prefetch
// window: at 10k events/s a 20-100 ms turnaround (a commit on a busy machine)
// needs 200-1000 messages in flight. With 200, the scale probe's backlog grew
// at 10k check results/s while the conductor sat at 30% CPU. The cost is
// memory: the window is per consumer, and the conductor consumes its inbox
// and baton.intake, so up to twice this many deliveries are held at once.
// Events are well under 1 KB; the bound is 2 x prefetch x max_message_bytes.
inline constexpr uint16_t kConductorPrefetch = 2000;

struct ConductorConfig {
  std::string source_file;
  amqp::BrokerSettings broker{.prefetch = kConductorPrefetch};
  std::string database = "data/baton.db";
  DatabaseUpkeepConfig upkeep;  // database.retention / housekeeping / backup
  HttpConfig http;
  WorkersConfig workers;
  CasesConfig cases;
  std::map<std::string, WorkflowDefinition> workflows;
  std::map<std::string, TaskDefinition> checks;       // sent to workers on a schedule or on request
  std::map<std::string, TaskDefinition> maintenance;
  alerts::AlertsConfig alerts = alerts::default_alerts_config();
  config::LogConfig log;
  std::string management_url;  // shown on the dashboard and by run.sh; optional
};

// Throws config::ConfigError naming file, line and key. Applies the
// environment overrides BATON_BROKER_URL, BATON_BROKER_PASSWORD,
// BATON_API_TOKEN, BATON_LOG_LEVEL, BATON_HTTP_PORT, BATON_DATABASE,
// BATON_MANAGEMENT_URL.
ConductorConfig load_conductor_config(const std::string& path);

}  // namespace baton::conductor
