#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/clock.hpp"

namespace baton::conductor {

enum class RunOutcome {
  none,       // no run yet
  scheduled,  // a regular slot fired
  catch_up,   // one run for slots missed while down
  manual,     // trigger_now
  skipped,    // missed slots dropped (missed: skip)
  held,       // a slot kept from firing by the hold predicate
};

const char* to_string(RunOutcome outcome);
std::optional<RunOutcome> parse_run_outcome(std::string_view text);

struct RunKey {
  std::string schedule;
  std::string target;
  auto operator<=>(const RunKey&) const = default;
};

// What survives a restart for one (schedule, target).
struct RunHistory {
  // Slots up to here are consumed (fired, held or skipped); the next slot
  // follows it. Manual runs leave it alone.
  std::optional<TimePoint> last_scheduled;
  std::optional<TimePoint> last_fired;
  RunOutcome last_outcome = RunOutcome::none;
  bool operator==(const RunHistory&) const = default;
};

using ScheduleHistory = std::map<RunKey, RunHistory>;

}  // namespace baton::conductor
