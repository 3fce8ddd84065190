#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/core/clock.hpp"

namespace baton::conductor {

// Nagios states, in their exit-code order.
enum class CheckState { ok, warning, critical, unknown };
const char* to_string(CheckState state);  // "OK", "WARNING", "CRITICAL", "UNKNOWN"
std::optional<CheckState> parse_check_state(const std::string& text);  // case-insensitive

// One result of one check on one worker. In check_latest, state_since and
// consecutive say how long the state has held (alerting's soft/hard count).
struct CheckResultRecord {
  std::string worker_id;
  std::string check;
  std::string type;
  std::string command_id;
  std::string schedule;
  CheckState state = CheckState::unknown;
  std::string output;
  bool output_truncated = false;
  std::string perfdata_json = "[]";
  std::chrono::milliseconds duration{0};
  TimePoint at{};
  TimePoint state_since{};
  unsigned consecutive = 1;
};

// What recording a result did: nothing (a redelivery), history only (older
// than the latest, e.g. reordered), or it is the new latest state.
enum class CheckRecorded { duplicate, history_only, latest };

struct CheckFilter {
  std::string worker_id;
  std::string check;
  std::string command_id;
  std::optional<CheckState> state;
  unsigned limit = 200;
};

// A maintenance action sent to a worker: a row when requested, completed by
// the worker's MaintenanceResult.
struct MaintenanceRunRecord {
  std::string command_id;
  std::string worker_id;
  std::string task;    // the name in the conductor config
  std::string action;  // cleanup, rotate, …
  std::string schedule;
  bool dry_run = false;
  std::string status = "REQUESTED";  // REQUESTED, OK, FAILED
  std::string message;
  std::string details_json = "{}";
  std::string metrics_json = "{}";
  std::chrono::milliseconds duration{0};
  TimePoint requested_at{};
  std::optional<TimePoint> finished_at;
};

struct MaintenanceFilter {
  std::string worker_id;
  std::string task;
  std::string command_id;
  unsigned limit = 100;
};

}  // namespace baton::conductor
