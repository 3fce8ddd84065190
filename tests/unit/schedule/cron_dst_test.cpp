// Cron across the 2026 DST changes in two zones. Berlin: 29 March 02:00 ->
// 03:00 (01:00 UTC), 25 October 03:00 -> 02:00 (01:00 UTC). New York:
// 8 March 02:00 -> 03:00 (07:00 UTC), 1 November 02:00 -> 01:00 (06:00 UTC).
#include <gtest/gtest.h>

#include <vector>

#include "conductor/schedule/cron_expression.hpp"
#include "tests/unit/schedule/schedule_test_support.hpp"

namespace baton::conductor {
namespace {

using testing::iso;
using testing::utc;

std::vector<std::string> fires(const std::string& expression, const TimeZone& zone, TimePoint from, TimePoint until) {
  const CronExpression cron = std::move(CronExpression::parse(expression).value());
  std::vector<std::string> out;
  for (TimePoint t = cron.next_after(from, zone); t <= until; t = cron.next_after(t, zone)) out.push_back(iso(t));
  return out;
}

using Fires = std::vector<std::string>;

TEST(CronDst, BerlinSpringForwardRunsASkippedFixedTimeRightAfterTheGap) {
  const TimeZone berlin = testing::zone("Europe/Berlin");
  // 02:30 does not exist on 29 March; it runs at 03:00 CEST (01:00 UTC), once.
  EXPECT_EQ(fires("30 2 * * *", berlin, utc(2026, 3, 27, 12), utc(2026, 3, 30, 12)),
            (Fires{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  // Several skipped times and a real 03:00 still make a single run at the jump.
  EXPECT_EQ(fires("0,15,30,45 2,3 * * *", berlin, utc(2026, 3, 28, 23), utc(2026, 3, 29, 2)),
            (Fires{"2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z", "2026-03-29T01:45:00Z"}));
  // @daily is untouched: midnight exists on both sides.
  EXPECT_EQ(fires("@daily", berlin, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12)),
            (Fires{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}));
}

TEST(CronDst, BerlinFallBackRunsARepeatedFixedTimeOnce) {
  const TimeZone berlin = testing::zone("Europe/Berlin");
  // 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET): run the first.
  EXPECT_EQ(fires("30 2 * * *", berlin, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12)),
            (Fires{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  // Asked from inside the second pass, it does not fire again that day.
  EXPECT_EQ(iso(std::move(CronExpression::parse("30 2 * * *").value()).next_after(utc(2026, 10, 25, 1, 10), berlin)),
            "2026-10-26T01:30:00Z");
}

TEST(CronDst, ElapsedTimeExpressionsFollowTheRealClock) {
  const TimeZone berlin = testing::zone("Europe/Berlin");
  // Every 30 minutes: both passes of the repeated hour (00:00-02:00 UTC are
  // 02:00-02:59 twice), every real half hour.
  EXPECT_EQ(fires("*/30 * * * *", berlin, utc(2026, 10, 24, 23, 45), utc(2026, 10, 25, 2, 0)),
            (Fires{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z",
                   "2026-10-25T02:00:00Z"}));
  // Spring forward: the hour that does not exist has no runs and adds none.
  EXPECT_EQ(fires("30 * * * *", berlin, utc(2026, 3, 28, 23, 45), utc(2026, 3, 29, 2, 0)),
            (Fires{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(CronDst, NewYorkBothChanges) {
  const TimeZone ny = testing::zone("America/New_York");
  EXPECT_EQ(fires("30 2 * * *", ny, utc(2026, 3, 7, 12), utc(2026, 3, 9, 12)),
            (Fires{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  EXPECT_EQ(fires("30 1 * * *", ny, utc(2026, 10, 31, 12), utc(2026, 11, 2, 12)),
            (Fires{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(fires("0 9 * * mon-fri", ny, utc(2026, 3, 6, 15), utc(2026, 3, 10, 0)),
            (Fires{"2026-03-09T13:00:00Z"}));
  EXPECT_EQ(fires("*/20 1 * * *", ny, utc(2026, 11, 1, 4), utc(2026, 11, 1, 8)),
            (Fires{"2026-11-01T05:00:00Z", "2026-11-01T05:20:00Z", "2026-11-01T05:40:00Z", "2026-11-01T06:00:00Z",
                   "2026-11-01T06:20:00Z", "2026-11-01T06:40:00Z"}));
}

}  // namespace
}  // namespace baton::conductor
