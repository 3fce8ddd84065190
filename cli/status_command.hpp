#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/context.hpp"

namespace baton::cli {

// batonctl status [--json]: exit 0 healthy, 1 degraded, 2 unhealthy or unreachable.
void add_status_command(CLI::App& app, CliContext& context);

// The human summary of a /health document.
std::string render_health(const nlohmann::json& health);
int exit_code_for_health(const nlohmann::json& health);

}  // namespace baton::cli
