// CronExpression: matching wall-clock minutes and finding the next fire time.
#include <algorithm>

#include "conductor/schedule/civil_time.hpp"
#include "conductor/schedule/cron_expression.hpp"

namespace baton::conductor {

namespace {

using civil::kSecondsPerDay;

constexpr int64_t kUnbounded = OffsetSpan::kUnbounded;
// Feb 29 with a restricted weekday recurs within 28 years; a day-of-month
// only expression (the only kind that can be that rare without a weekday)
// within 8. Beyond this the search gives up instead of looping.
constexpr int64_t kSearchHorizon = 30LL * 366 * kSecondsPerDay;

int64_t ceil_to_minute(int64_t t) { return -civil::floor_div(-t, 60) * 60; }

template <size_t N>
int next_set_bit(const std::bitset<N>& bits, int from) {
  for (int i = from; i < static_cast<int>(N); ++i) {
    if (bits[static_cast<size_t>(i)]) return i;
  }
  return -1;
}

}  // namespace

bool CronExpression::day_matches(int day_of_month, int weekday) const {
  const bool dom = days_of_month_[static_cast<size_t>(day_of_month)];
  const bool dow = days_of_week_[static_cast<size_t>(weekday)];
  return any_day_of_month_ || any_day_of_week_ ? dom && dow : dom || dow;
}

bool CronExpression::matches(std::chrono::local_seconds local) const {
  const int64_t l = local.time_since_epoch().count();
  const int64_t days = civil::floor_div(l, kSecondsPerDay);
  const int64_t second_of_day = l - days * kSecondsPerDay;
  const civil::Date date = civil::civil_from_days(days);
  return months_[static_cast<size_t>(date.month)] && day_matches(date.day, civil::weekday_from_days(days)) &&
         hours_[static_cast<size_t>(second_of_day / 3600)] && minutes_[static_cast<size_t>(second_of_day % 3600 / 60)];
}

std::optional<int64_t> CronExpression::next_local_match(int64_t from, int64_t limit) const {
  int64_t l = ceil_to_minute(from);
  while (l < limit) {
    const int64_t days = civil::floor_div(l, kSecondsPerDay);
    const int64_t midnight = days * kSecondsPerDay;
    const civil::Date date = civil::civil_from_days(days);
    if (!months_[static_cast<size_t>(date.month)]) {
      const bool december = date.month == 12;
      l = civil::days_from_civil(date.year + (december ? 1 : 0), december ? 1 : date.month + 1, 1) * kSecondsPerDay;
      continue;
    }
    if (!day_matches(date.day, civil::weekday_from_days(days))) {
      l = midnight + kSecondsPerDay;
      continue;
    }
    const int hour = static_cast<int>((l - midnight) / 3600);
    const int next_hour = next_set_bit(hours_, hour);
    if (next_hour < 0) {
      l = midnight + kSecondsPerDay;
      continue;
    }
    if (next_hour != hour) {
      l = midnight + next_hour * 3600;
      continue;
    }
    const int minute = static_cast<int>((l - midnight) % 3600 / 60);
    const int next_minute = next_set_bit(minutes_, minute);
    if (next_minute < 0) {
      l = midnight + (hour + 1) * 3600;
      continue;
    }
    const int64_t match = midnight + hour * 3600 + next_minute * 60;
    return match < limit ? std::optional<int64_t>(match) : std::nullopt;
  }
  return std::nullopt;
}

TimePoint CronExpression::next_after(TimePoint after, const TimeZone& zone) const {
  // Candidates are whole seconds; "strictly after" a fractional instant
  // starts at the next whole second.
  const int64_t earliest = std::chrono::floor<std::chrono::seconds>(after.time_since_epoch()).count() + 1;
  const int64_t horizon = earliest + kSearchHorizon;
  const auto at = [](int64_t u) { return TimePoint{} + std::chrono::seconds(u); };

  // Walk the stretches of constant UTC offset; inside one, wall time and UTC
  // move together, so the first matching wall-clock minute is the answer.
  OffsetSpan span = zone.span_at(earliest);
  while (span.begin < horizon) {
    const bool bounded_start = span.begin != -kUnbounded;
    const bool gap_before = bounded_start && span.offset > span.offset_before;
    const bool fold_before = bounded_start && span.offset < span.offset_before;
    if (!elapsed_time_ && gap_before && span.begin >= earliest &&
        next_local_match(span.begin + span.offset_before, span.begin + span.offset)) {
      return at(span.begin);
    }
    int64_t local_from = std::max(earliest, span.begin) + span.offset;
    // A fixed wall-clock time repeated by a fall-back already fired in its first pass.
    if (!elapsed_time_ && fold_before) local_from = std::max(local_from, span.begin + span.offset_before);
    const int64_t local_limit = std::min(span.end, horizon) + span.offset;
    if (const auto match = next_local_match(local_from, local_limit)) return at(*match - span.offset);
    if (span.end >= horizon) break;
    span = zone.span_at(span.end);
  }
  return TimePoint::max();
}

}  // namespace baton::conductor
