#include <gtest/gtest.h>

#include "conductor/schedule/cron_expression.hpp"
#include "tests/unit/schedule/schedule_test_support.hpp"

namespace baton::conductor {
namespace {

using testing::iso;
using testing::utc;

CronExpression cron(const std::string& text) {
  auto parsed = CronExpression::parse(text);
  if (!parsed) throw std::runtime_error(text + ": " + parsed.error().message);
  return std::move(parsed).value();
}

struct NextCase {
  const char* expression;
  TimePoint after;
  const char* expected;
};

// 2026-01-01 is a Thursday.
TEST(CronExpression, NextTimesInUtc) {
  const TimeZone z = TimeZone::utc();
  const NextCase cases[] = {
      {"* * * * *", utc(2026, 1, 1, 10, 0, 0), "2026-01-01T10:01:00Z"},
      {"* * * * *", utc(2026, 1, 1, 10, 0, 30), "2026-01-01T10:01:00Z"},
      {"*/5 * * * *", utc(2026, 1, 1, 10, 2), "2026-01-01T10:05:00Z"},
      {"*/5 * * * *", utc(2026, 1, 1, 10, 55), "2026-01-01T11:00:00Z"},
      {"1-10/3 * * * *", utc(2026, 1, 1, 10, 4), "2026-01-01T10:07:00Z"},
      {"1-10/3 * * * *", utc(2026, 1, 1, 10, 10), "2026-01-01T11:01:00Z"},
      {"5/20 * * * *", utc(2026, 1, 1, 10, 6), "2026-01-01T10:25:00Z"},
      {"0,30 9-17 * * *", utc(2026, 1, 1, 17, 30), "2026-01-02T09:00:00Z"},
      {"0 3 * * *", utc(2026, 1, 1, 3, 0), "2026-01-02T03:00:00Z"},
      {"0 3 * * *", utc(2026, 1, 1, 2, 59, 59), "2026-01-01T03:00:00Z"},
      {"@hourly", utc(2026, 1, 1, 10, 0), "2026-01-01T11:00:00Z"},
      {"@daily", utc(2026, 1, 1, 10, 0), "2026-01-02T00:00:00Z"},
      {"@midnight", utc(2026, 12, 31, 23, 59), "2027-01-01T00:00:00Z"},
      {"@weekly", utc(2026, 1, 1), "2026-01-04T00:00:00Z"},
      {"@monthly", utc(2026, 1, 31, 12), "2026-02-01T00:00:00Z"},
      {"@yearly", utc(2026, 6, 1), "2027-01-01T00:00:00Z"},
      {"@ANNUALLY", utc(2026, 6, 1), "2027-01-01T00:00:00Z"},
      {"0 8 * * mon-fri", utc(2026, 1, 2, 9), "2026-01-05T08:00:00Z"},
      {"0 8 * * Sat,SUN", utc(2026, 1, 1), "2026-01-03T08:00:00Z"},
      {"0 8 * * 7", utc(2026, 1, 1), "2026-01-04T08:00:00Z"},
      {"0 8 * * 0", utc(2026, 1, 1), "2026-01-04T08:00:00Z"},
      {"0 0 1 jan-mar/2 *", utc(2026, 1, 1, 1), "2026-03-01T00:00:00Z"},
      {"0 12 31 * *", utc(2026, 2, 1), "2026-03-31T12:00:00Z"},
      {"0 0 29 feb *", utc(2026, 1, 1), "2028-02-29T00:00:00Z"},
      // Both day fields restricted: either matches (Vixie). The 13th or any Friday.
      {"0 0 13 * fri", utc(2026, 1, 10), "2026-01-13T00:00:00Z"},
      {"0 0 13 * fri", utc(2026, 1, 13, 1), "2026-01-16T00:00:00Z"},
      // A day field starting with * narrows instead: odd days that are Mondays.
      {"0 0 */2 * mon", utc(2026, 1, 1), "2026-01-05T00:00:00Z"},
      {"0 0 */2 * mon", utc(2026, 1, 5, 1), "2026-01-19T00:00:00Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(iso(cron(c.expression).next_after(c.after, z)), c.expected) << c.expression << " after " << iso(c.after);
  }
}

TEST(CronExpression, NextTimesInAZoneAreWallClockTimes) {
  const TimeZone berlin = testing::zone("Europe/Berlin");
  EXPECT_EQ(iso(cron("0 3 * * *").next_after(utc(2026, 1, 10), berlin)), "2026-01-10T02:00:00Z");
  EXPECT_EQ(iso(cron("0 3 * * *").next_after(utc(2026, 7, 10), berlin)), "2026-07-10T01:00:00Z");
}

TEST(CronExpression, MatchesWallClockMinutes) {
  const CronExpression c = cron("15 8 * * mon");
  EXPECT_TRUE(c.matches(testing::local(2026, 1, 5, 8, 15)));
  EXPECT_FALSE(c.matches(testing::local(2026, 1, 6, 8, 15)));
  EXPECT_FALSE(c.matches(testing::local(2026, 1, 5, 8, 16)));
}

TEST(CronExpression, ErrorsNameTheFieldAndTheReason) {
  struct Bad {
    const char* text;
    const char* says;
  };
  const Bad cases[] = {
      {"", "expected 5 fields"},
      {"* * * *", "expected 5 fields"},
      {"* * * * * *", "got 6"},
      {"60 * * * *", "minute field \"60\": 60 is out of range 0-59"},
      {"* 24 * * *", "hour field \"24\": 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month field \"0\": 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month field \"32\""},
      {"* * * 13 *", "month field \"13\""},
      {"* * * * 8", "day-of-week field \"8\": 8 is out of range 0-7"},
      {"* * * foo *", "month field \"foo\": unknown name \"foo\" (known: jan feb"},
      {"* * * * funday", "day-of-week field \"funday\": unknown name"},
      {"*/0 * * * *", "minute field \"*/0\": step \"0\" must be a whole number of at least 1"},
      {"*/x * * * *", "step \"x\""},
      {"5-1 * * * *", "minute field \"5-1\": range 5-1 runs backwards"},
      {"1,,2 * * * *", "minute field \"1,,2\": empty list item"},
      {"1x * * * *", "minute field \"1x\": \"1x\" is not a number"},
      {"a * * * *", "minute field \"a\": \"a\" is not a number"},
      {"0 0 31 2 *", "would never fire"},
      {"0 0 30,31 feb *", "would never fire"},
      {"@reboot", "unknown macro \"@reboot\""},
  };
  for (const auto& c : cases) {
    auto parsed = CronExpression::parse(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
    EXPECT_NE(parsed.error().message.find(c.says), std::string::npos)
        << c.text << " -> " << parsed.error().message;
  }
  // Restricting the weekday too makes 31 February harmless: the weekday alone fires.
  EXPECT_TRUE(CronExpression::parse("0 0 31 2 mon").ok());
}

}  // namespace
}  // namespace baton::conductor
