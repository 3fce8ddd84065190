#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/context.hpp"

namespace baton::cli {

// batonctl worker list|show.
void add_worker_commands(CLI::App& app, CliContext& context);

// Renderings of the API's worker objects, without I/O.
std::string render_worker_table(const nlohmann::json& workers);
std::string render_worker_details(const nlohmann::json& worker);

}  // namespace baton::cli
