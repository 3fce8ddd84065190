#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "common/core/result.hpp"

namespace baton::cli {

// batonctl alert list|show|ack, silence add|list|remove,
// maintenance add|list|remove, remediation list.
void add_alert_commands(CLI::App& app, CliContext& context);

// Renderings of the API's objects, without I/O.
std::string render_alert_table(const nlohmann::json& alerts);
std::string render_alert_details(const nlohmann::json& alert);  // with events and notifications
std::string render_silence_table(const nlohmann::json& silences);
std::string render_window_table(const nlohmann::json& windows);
std::string render_remediation_table(const nlohmann::json& runs);

// The POST bodies, from the command line. The conductor validates times and
// durations; these only refuse what is plainly incomplete
// (Errc::invalid_argument).
struct SilenceArgs {
  std::string worker, check, label, severity;
  std::string duration, end, start;
  bool expire_on_resolve = false;
  std::string comment, author;
};
Result<nlohmann::json> silence_body(const SilenceArgs& args);

struct WindowArgs {
  std::vector<std::string> workers, labels;
  std::string duration, end, start;
  std::string comment, author;
};
Result<nlohmann::json> window_body(const WindowArgs& args);

// $USER, or "batonctl": who an ack, silence or window is recorded under.
std::string default_author();

}  // namespace baton::cli
