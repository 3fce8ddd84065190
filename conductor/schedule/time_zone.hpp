#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"

namespace baton::conductor {

// A stretch of time with one UTC offset: [begin, end) in unix seconds.
// begin/end are the int64 limits when the stretch is unbounded.
struct OffsetSpan {
  static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

  int64_t begin = -kUnbounded;
  int64_t end = kUnbounded;
  int32_t offset = 0;         // seconds east of UTC inside the span
  int32_t offset_before = 0;  // just before `begin` (== offset when unbounded)
};

// How a wall-clock reading maps to instants.
struct LocalResolution {
  enum class Kind { unique, ambiguous, nonexistent };
  Kind kind = Kind::unique;
  // unique: both the same; ambiguous (fall-back): the earlier and the later
  // instant; nonexistent (spring-forward gap): both the instant the clocks
  // jump, i.e. the first valid time after the gap.
  TimePoint first;
  TimePoint second;
};

// "UTC" or an IANA zone read from a TZif file (v1 to v4: transition table plus
// the POSIX rule footer for later instants). Built here because GCC 12's
// libstdc++ has no std::chrono tzdb, and TZ + localtime_r cannot serve several
// zones from several threads. Immutable and cheap to copy.
class TimeZone {
 public:
  static constexpr const char* kDefaultZoneinfoDir = "/usr/share/zoneinfo";

  static TimeZone utc();
  // Errc::invalid_argument for a malformed name or file, Errc::not_found for
  // an unknown zone.
  static Result<TimeZone> load(std::string_view name, const std::string& zoneinfo_dir = kDefaultZoneinfoDir);
  static Result<TimeZone> from_tzif(std::string name, std::string_view bytes);

  const std::string& name() const;

  OffsetSpan span_at(int64_t unix_seconds) const;
  std::chrono::seconds offset_at(TimePoint instant) const;
  std::chrono::local_seconds to_local(TimePoint instant) const;
  LocalResolution resolve(std::chrono::local_seconds local) const;
  // The cron reading of a wall-clock time: a time in a gap becomes the first
  // valid time after it, a repeated time its first occurrence.
  TimePoint from_local(std::chrono::local_seconds local) const;

  struct Data;

 private:
  explicit TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

  std::shared_ptr<const Data> data_;
};

}  // namespace baton::conductor
