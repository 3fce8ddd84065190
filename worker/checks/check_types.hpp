#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "worker/checks/check_state.hpp"
#include "worker/checks/perfdata.hpp"

namespace baton::worker::checks {

struct CheckRequest {
  std::string type;                           // "disk", "http", "plugin", ...
  std::map<std::string, std::string> params;  // thresholds in Nagios range syntax
  std::vector<std::string> args;              // plugin argv after the program
  std::chrono::milliseconds timeout{0};       // 0: the configured default
};

struct CheckOutcome {
  CheckState state = CheckState::unknown;
  std::string output;  // summary line, then long text
  bool output_truncated = false;
  std::vector<PerfDatum> perfdata;
  std::chrono::milliseconds duration{0};
};

}  // namespace baton::worker::checks
