#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/config/yaml_reader.hpp"
#include "conductor/schedule/cron_expression.hpp"
#include "conductor/schedule/time_zone.hpp"

namespace baton::conductor {

enum class ScheduleKind { interval, cron };

// What to do on start-up about runs that fell due while the conductor was
// down (or while a target was away): one catch-up run, or none (reported).
enum class MissedRunPolicy { run_once, skip };

// A default cron expiry is the gap to the next fire, but never more than this:
// a daily job requested at 03:00 should not start at 02:00 the next day.
constexpr std::chrono::milliseconds kMaxDerivedCronExpiry = std::chrono::hours(1);

struct ScheduleSpec {
  std::string name;
  ScheduleKind kind = ScheduleKind::interval;
  std::chrono::milliseconds interval{0};
  // Each (schedule, target) fires at a fixed offset in [0, splay).
  std::chrono::milliseconds splay{0};
  std::optional<CronExpression> cron;
  TimeZone time_zone = TimeZone::utc();
  MissedRunPolicy missed = MissedRunPolicy::run_once;
  // How long a request stays valid (the worker-queue TTL). Unset: the
  // interval, or for cron the gap to the next fire capped at
  // kMaxDerivedCronExpiry.
  std::optional<std::chrono::milliseconds> expiry;
};

// Reads the timing keys of one schedule mapping:
//   every: 5m              # or: cron: "0 3 * * *"
//   splay: 30s             # optional, default 0; at most `every`
//   timezone: Europe/Berlin  # cron only, default UTC
//   missed: run_once       # or skip; default run_once
//   expiry: 10m            # optional
// Leaves `name` and unknown-key checking (finish()) to the caller, whose
// mapping also holds what to run and where. Throws ConfigError naming
// file:line:key.
void read_schedule(config::MapReader& reader, ScheduleSpec& spec);

const char* to_string(MissedRunPolicy policy);

}  // namespace baton::conductor
