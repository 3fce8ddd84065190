#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.hpp"

namespace baton::conductor {

// The POSIX TZ string in a TZif footer (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"):
// it gives the rule for every instant after the file's last transition, so a
// zone keeps working for years the table does not list.
class PosixTzRule {
 public:
  struct Transition {
    int64_t at;          // unix seconds
    int32_t offset;      // seconds east of UTC from `at` on
  };

  // Accepts the RFC 8536 form, including <+0330>-style quoted names and
  // transition times from -167 to 167 hours.
  static Result<PosixTzRule> parse(std::string_view text);

  bool has_dst() const { return dst_.has_value(); }
  int32_t standard_offset() const { return std_offset_; }
  // The (at most two) changes in the given calendar year, in time order.
  std::vector<Transition> transitions_in_year(int64_t year) const;

 private:
  struct DateRule {
    enum class Kind { julian_no_leap, zero_based, month_week_day } kind;
    int month = 0;  // month_week_day only
    int week = 0;   // 1..5, 5 = last
    int day = 0;    // Jn: 1..365, n: 0..365, Mm.w.d: weekday 0..6
    int32_t time = 7200;  // local seconds after midnight
    int64_t local_seconds_in(int64_t year) const;
  };
  struct Dst {
    int32_t offset;
    DateRule start;
    DateRule end;
  };

  int32_t std_offset_ = 0;
  std::optional<Dst> dst_;
};

}  // namespace baton::conductor
