#include "conductor/schedule/schedule_spec.hpp"

namespace baton::conductor {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMinInterval = std::chrono::seconds(1);
constexpr milliseconds kMaxInterval = std::chrono::hours(24 * 366);

}  // namespace

const char* to_string(MissedRunPolicy policy) {
  return policy == MissedRunPolicy::skip ? "skip" : "run_once";
}

void read_schedule(config::MapReader& reader, ScheduleSpec& spec) {
  const auto every = reader.duration("every", kMinInterval, kMaxInterval);
  const auto cron_text = reader.string("cron");
  const auto zone_name = reader.string("timezone");
  const auto splay = reader.duration("splay", milliseconds(0), kMaxInterval);
  const auto missed = reader.one_of("missed", {"run_once", "skip"});
  const auto expiry = reader.duration("expiry", kMinInterval, kMaxInterval);

  if (every && cron_text) reader.fail("cron", "give either every or cron, not both");
  if (!every && !cron_text) reader.fail("every", "a schedule needs every: <duration> or cron: \"<expression>\"");

  if (every) {
    if (zone_name) reader.fail("timezone", "applies only to cron schedules; an interval runs on elapsed time");
    if (splay && *splay > *every) {
      reader.fail("splay", "must not exceed every (" + config::format_duration(*every) + "), got " +
                               config::format_duration(*splay));
    }
    spec.kind = ScheduleKind::interval;
    spec.interval = *every;
  } else {
    auto cron = CronExpression::parse(*cron_text);
    if (!cron) reader.fail("cron", cron.error().message);
    spec.kind = ScheduleKind::cron;
    spec.cron = std::move(cron).value();
    if (zone_name) {
      auto zone = TimeZone::load(*zone_name);
      if (!zone) reader.fail("timezone", zone.error().message);
      spec.time_zone = std::move(zone).value();
    }
  }
  if (splay) spec.splay = *splay;
  if (missed) spec.missed = *missed == "skip" ? MissedRunPolicy::skip : MissedRunPolicy::run_once;
  if (expiry) spec.expiry = *expiry;
}

}  // namespace baton::conductor
