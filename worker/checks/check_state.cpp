#include "worker/checks/check_state.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace baton::worker::checks {

const char* to_string(CheckState state) {
  switch (state) {
    case CheckState::ok: return "OK";
    case CheckState::warning: return "WARNING";
    case CheckState::critical: return "CRITICAL";
    case CheckState::unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

CheckState state_from_exit_code(int code) {
  switch (code) {
    case 0: return CheckState::ok;
    case 1: return CheckState::warning;
    case 2: return CheckState::critical;
    default: return CheckState::unknown;
  }
}

int exit_code_of(CheckState state) { return static_cast<int>(state); }

bool parse_state(std::string_view text, CheckState& out) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (CheckState s : {CheckState::ok, CheckState::warning, CheckState::critical, CheckState::unknown}) {
    if (upper == to_string(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

namespace {
int severity(CheckState state) {
  switch (state) {
    case CheckState::ok: return 0;
    case CheckState::warning: return 1;
    case CheckState::unknown: return 2;
    case CheckState::critical: return 3;
  }
  return 2;
}
}  // namespace

CheckState worst_of(CheckState a, CheckState b) { return severity(a) >= severity(b) ? a : b; }

}  // namespace baton::worker::checks
