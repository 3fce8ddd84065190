#pragma once

// Internal to the schedule library: what a TimeZone holds, and the TZif
// reader that fills it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conductor/schedule/posix_tz_rule.hpp"
#include "conductor/schedule/time_zone.hpp"

namespace baton::conductor {

struct TimeZone::Data {
  struct Transition {
    int64_t at;
    int32_t offset;
  };

  std::string name;
  int32_t initial_offset = 0;  // before the first transition
  std::vector<Transition> transitions;
  std::optional<PosixTzRule> footer;
};

Result<TimeZone::Data> parse_tzif(std::string name, std::string_view bytes);

}  // namespace baton::conductor
