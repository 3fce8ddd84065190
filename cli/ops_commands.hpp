#pragma once

#include <CLI/CLI.hpp>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "cli/conductor_client.hpp"
#include "cli/context.hpp"

namespace baton::cli {

// batonctl db backup|check and batonctl report.
void add_ops_commands(CLI::App& app, CliContext& context);

// "daily_health_YYYYMMDD.json" for the given local date.
std::string default_report_file(const std::tm& local_date);
// The report's overall status, worker table, counts and recommendations.
std::string render_report_summary(const nlohmann::json& report);
std::string render_db_check(const nlohmann::json& check);

// Helpers shared by the check, alert and ops commands.

using Render = std::function<std::string(const nlohmann::json&)>;

// GET path and print its `member` array: as JSON with json_output, else as
// render() draws it, or `empty` when there is nothing.
void print_list(CliContext& context, const std::string& path, const char* member, const std::string& what,
                bool json_output, const Render& render, const char* empty);

// A `name` subcommand of parent whose only option is --json, printing as
// print_list does.
void add_list_command(CLI::App* parent, const char* name, const char* description, CliContext& context,
                      std::string path, const char* member, std::string what, Render render, const char* empty);

// path?k=v&… with the non-empty values percent-encoded.
std::string with_query(std::string path, std::initializer_list<std::pair<const char*, std::string>> params);

// The body when the conductor answered with one of `expected` and a JSON
// object; otherwise reports why (4xx: refused, exit 1; else exit 2) into
// context.exit_code and returns nothing.
std::optional<nlohmann::json> expect_answer(CliContext& context, const Result<ApiReply>& reply,
                                            std::initializer_list<int> expected, const std::string& what);

// A usage mistake found after parsing (exit 2, like CLI11's own).
void usage_error(CliContext& context, const std::string& message);

// A member as text for a table cell: "-" when absent, null or empty.
std::string cell(const nlohmann::json& object, const char* key);
// A list of strings joined with commas, "-" when empty.
std::string joined(const nlohmann::json& list);

}  // namespace baton::cli
