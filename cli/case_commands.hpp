#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "common/core/result.hpp"

namespace baton::cli {

// batonctl case submit|list|show|cancel|retry.
void add_case_commands(CLI::App& app, CliContext& context);

// "--param k=v" values as a map; Errc::invalid_argument for a pair without a
// name or '=', or a name given twice.
Result<std::map<std::string, std::string>> parse_params(const std::vector<std::string>& pairs);

}  // namespace baton::cli
