#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/schedule/time_zone.hpp"

namespace baton::conductor {

// A classic five-field cron expression: minute hour day-of-month month
// day-of-week, with lists, ranges, steps (*/5, 1-10/2, 5/15 = 5-59/15),
// month and day names (case-insensitive), 7 as Sunday and the macros
// @hourly @daily @midnight @weekly @monthly @yearly @annually.
//
// As in Vixie cron, when both day fields are restricted (neither starts with
// `*`) a day matches if either does; otherwise both must.
//
// Across DST changes it behaves like Vixie cron / cronie:
//   - An expression whose minute or hour field starts with `*` follows elapsed
//     time: it fires at wall-clock times that exist, in both passes of a
//     repeated hour, and not in a skipped hour.
//   - Any other expression names fixed wall-clock times: a time skipped by a
//     spring-forward gap fires once at the first instant after the gap, and a
//     time repeated by a fall-back fires once, at its first occurrence.
class CronExpression {
 public:
  // Errors name the field and the reason, e.g.
  //   day-of-month field "32": 32 is out of range 1-31
  // and an expression that can never fire (0 0 31 2 *) is refused.
  static Result<CronExpression> parse(std::string_view text);

  // The first fire time strictly after `after`, read on `zone`'s wall clock.
  // Never TimePoint::max() for a parsed expression: parse() refuses
  // expressions that cannot fire, and the rarest others (Feb 29 on a given
  // weekday) fire within 28 years.
  TimePoint next_after(TimePoint after, const TimeZone& zone) const;

  // Whether the minute containing `local` matches (seconds are ignored).
  bool matches(std::chrono::local_seconds local) const;

  const std::string& text() const { return text_; }
  bool follows_elapsed_time() const { return elapsed_time_; }

 private:
  CronExpression() = default;

  bool day_matches(int day_of_month, int weekday) const;
  // The first matching whole minute in [from, limit), both local seconds.
  std::optional<int64_t> next_local_match(int64_t from, int64_t limit) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bit 0 unused
  std::bitset<13> months_;         // bit 0 unused
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool any_day_of_month_ = true;
  bool any_day_of_week_ = true;
  bool elapsed_time_ = false;
  std::string text_;
};

}  // namespace baton::conductor
