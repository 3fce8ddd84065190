#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/context.hpp"
#include "common/core/result.hpp"

namespace baton::cli {

// batonctl check list|history|run, action list|runs|run, schedule list.
void add_check_commands(CLI::App& app, CliContext& context);

// Renderings of the API's objects, without I/O.
std::string render_check_table(const nlohmann::json& checks);    // latest results
std::string render_check_history(const nlohmann::json& checks);  // history rows
std::string render_task_table(const nlohmann::json& tasks);      // configured checks or actions
std::string render_maintenance_runs(const nlohmann::json& runs);
std::string render_schedule_table(const nlohmann::json& schedules);

// Follows the runs a POST .../run answered with ([{worker_id, command_id}])
// until each has an answer or the deadline passes. `answer_of` looks one
// command up: nothing while it is pending. The progress line reads
// "check disk: 2/3 answered…".
struct RunWait {
  std::string label;  // "check disk"
  std::function<Result<std::optional<nlohmann::json>>(const std::string& command_id)> answer_of;
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds deadline{std::chrono::minutes(5)};
};
struct RunWaitResult {
  std::map<std::string, nlohmann::json> answers;  // by command id
  std::vector<std::string> unanswered;            // command ids, when the deadline passed
  std::optional<Error> error;                     // the conductor stopped answering
};
RunWaitResult wait_for_runs(const nlohmann::json& runs, const RunWait& wait);

}  // namespace baton::cli
