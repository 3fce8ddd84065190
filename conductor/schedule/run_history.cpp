#include "conductor/schedule/run_history.hpp"

namespace baton::conductor {

const char* to_string(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::none: return "";
    case RunOutcome::scheduled: return "scheduled";
    case RunOutcome::catch_up: return "catch_up";
    case RunOutcome::manual: return "manual";
    case RunOutcome::skipped: return "skipped";
    case RunOutcome::held: return "held";
  }
  return "";
}

std::optional<RunOutcome> parse_run_outcome(std::string_view text) {
  for (auto outcome : {RunOutcome::none, RunOutcome::scheduled, RunOutcome::catch_up, RunOutcome::manual,
                       RunOutcome::skipped, RunOutcome::held}) {
    if (text == to_string(outcome)) return outcome;
  }
  return std::nullopt;
}

}  // namespace baton::conductor
