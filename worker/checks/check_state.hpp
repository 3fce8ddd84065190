#pragma once

#include <string_view>

namespace baton::worker::checks {

// Nagios states, in order of severity except UNKNOWN (see worst_of).
enum class CheckState { ok, warning, critical, unknown };

// "OK", "WARNING", "CRITICAL", "UNKNOWN".
const char* to_string(CheckState state);

// The Nagios plugin exit codes 0..3; any other code means the plugin itself
// failed, which is UNKNOWN.
CheckState state_from_exit_code(int code);
int exit_code_of(CheckState state);

// Accepts the names case-insensitively ("warning", "CRITICAL").
bool parse_state(std::string_view text, CheckState& out);

// The more serious of two states. CRITICAL outranks UNKNOWN: a check that
// saw one metric critical and could not read another is still critical.
CheckState worst_of(CheckState a, CheckState b);

}  // namespace baton::worker::checks
