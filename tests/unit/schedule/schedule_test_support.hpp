#pragma once

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "common/core/clock.hpp"
#include "conductor/schedule/civil_time.hpp"
#include "conductor/schedule/time_zone.hpp"

namespace baton::conductor::testing {

inline TimePoint utc(int64_t year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  const int64_t days = civil::days_from_civil(year, month, day);
  return TimePoint{} + std::chrono::seconds(days * civil::kSecondsPerDay + hour * 3600 + minute * 60 + second);
}

inline std::chrono::local_seconds local(int64_t year, int month, int day, int hour = 0, int minute = 0) {
  return std::chrono::local_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(utc(year, month, day, hour, minute).time_since_epoch()));
}

// "2026-03-29T01:00:00Z", for readable assertion messages.
inline std::string iso(TimePoint t) {
  if (t == TimePoint::max()) return "never";
  const int64_t s = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  const int64_t days = civil::floor_div(s, civil::kSecondsPerDay);
  const int64_t rest = s - days * civil::kSecondsPerDay;
  const civil::Date d = civil::civil_from_days(days);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ", static_cast<long long>(d.year), d.month,
                d.day, static_cast<long long>(rest / 3600), static_cast<long long>(rest % 3600 / 60),
                static_cast<long long>(rest % 60));
  return buffer;
}

inline TimeZone zone(const std::string& name) {
  auto loaded = TimeZone::load(name);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::move(loaded).value();
}

}  // namespace baton::conductor::testing
