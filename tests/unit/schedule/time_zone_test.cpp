#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

#include "conductor/schedule/posix_tz_rule.hpp"
#include "conductor/schedule/time_zone.hpp"
#include "tests/unit/schedule/schedule_test_support.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;
using testing::iso;
using testing::local;
using testing::utc;
using testing::zone;
using Kind = LocalResolution::Kind;

TEST(TimeZone, UtcNeedsNoFiles) {
  const TimeZone tz = TimeZone::utc();
  EXPECT_EQ(tz.name(), "UTC");
  EXPECT_EQ(tz.offset_at(utc(2026, 7, 1)), 0s);
  EXPECT_EQ(tz.to_local(utc(2026, 7, 1, 12, 30)), local(2026, 7, 1, 12, 30));
  EXPECT_EQ(tz.from_local(local(2026, 7, 1, 12, 30)), utc(2026, 7, 1, 12, 30));
  EXPECT_TRUE(TimeZone::load("UTC").ok());
}

TEST(TimeZone, BerlinOffsetsAcrossTheTwo2026Changes) {
  const TimeZone berlin = zone("Europe/Berlin");
  EXPECT_EQ(berlin.offset_at(utc(2026, 1, 15)), 1h);
  // Spring forward on Sunday 29 March at 01:00 UTC, fall back on 25 October at 01:00 UTC.
  EXPECT_EQ(berlin.offset_at(utc(2026, 3, 29, 0, 59, 59)), 1h);
  EXPECT_EQ(berlin.offset_at(utc(2026, 3, 29, 1, 0, 0)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2026, 10, 25, 0, 59, 59)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2026, 10, 25, 1, 0, 0)), 1h);

  const OffsetSpan summer = berlin.span_at(std::chrono::floor<std::chrono::seconds>(utc(2026, 6, 1).time_since_epoch()).count());
  EXPECT_EQ(iso(TimePoint{} + std::chrono::seconds(summer.begin)), "2026-03-29T01:00:00Z");
  EXPECT_EQ(iso(TimePoint{} + std::chrono::seconds(summer.end)), "2026-10-25T01:00:00Z");
  EXPECT_EQ(summer.offset, 7200);
  EXPECT_EQ(summer.offset_before, 3600);
}

TEST(TimeZone, NewYorkResolvesGapsAndFolds) {
  const TimeZone ny = zone("America/New_York");
  // 8 March 2026: 02:00 EST jumps to 03:00 EDT at 07:00 UTC.
  const LocalResolution gap = ny.resolve(local(2026, 3, 8, 2, 30));
  EXPECT_EQ(gap.kind, Kind::nonexistent);
  EXPECT_EQ(iso(gap.first), "2026-03-08T07:00:00Z") << "first valid instant after the gap";
  EXPECT_EQ(iso(ny.from_local(local(2026, 3, 8, 3, 0))), "2026-03-08T07:00:00Z");

  // 1 November 2026: 02:00 EDT falls back to 01:00 EST at 06:00 UTC.
  const LocalResolution fold = ny.resolve(local(2026, 11, 1, 1, 30));
  EXPECT_EQ(fold.kind, Kind::ambiguous);
  EXPECT_EQ(iso(fold.first), "2026-11-01T05:30:00Z");
  EXPECT_EQ(iso(fold.second), "2026-11-01T06:30:00Z");
  EXPECT_EQ(ny.from_local(local(2026, 11, 1, 1, 30)), fold.first);

  const LocalResolution plain = ny.resolve(local(2026, 7, 4, 12, 0));
  EXPECT_EQ(plain.kind, Kind::unique);
  EXPECT_EQ(iso(plain.first), "2026-07-04T16:00:00Z");
  EXPECT_EQ(ny.to_local(plain.first), local(2026, 7, 4, 12, 0));
}

TEST(TimeZone, FarFutureInstantsFollowTheFooterRule) {
  // Past any transition table (they end by 2037): only the POSIX footer
  // knows 2200's changes. (TimePoint's nanoseconds end in 2262.)
  const TimeZone berlin = zone("Europe/Berlin");
  EXPECT_EQ(berlin.offset_at(utc(2200, 3, 23, 12, 0)), 1h);
  EXPECT_EQ(berlin.offset_at(utc(2200, 3, 30, 0, 59)), 1h);  // the last Sunday of March 2200
  EXPECT_EQ(berlin.offset_at(utc(2200, 3, 30, 1, 0)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2200, 10, 26, 0, 59)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2200, 10, 26, 1, 0)), 1h);
  const TimeZone sydney = zone("Australia/Sydney");  // southern hemisphere: DST over new year
  EXPECT_EQ(sydney.offset_at(utc(2200, 1, 15)), 11h);
  EXPECT_EQ(sydney.offset_at(utc(2200, 7, 15)), 10h);
}

// glibc reads the same files; agreeing with it on many instants across many
// zones (negative DST in Dublin, half-hour Lord Howe, +12:45 Chatham) checks
// the table and footer reading as a whole.
TEST(TimeZone, AgreesWithGlibcAcrossZonesAndDecades) {
  const char* saved = std::getenv("TZ");
  const std::optional<std::string> previous = saved ? std::optional<std::string>(saved) : std::nullopt;
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/Dublin",
                           "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata", "America/Sao_Paulo"}) {
    const TimeZone tz = zone(name);
    ::setenv("TZ", (std::string(":") + name).c_str(), 1);
    ::tzset();
    int mismatches = 0;
    for (int64_t t = 0; t < 2'900'000'000LL && mismatches < 3; t += 7 * 3600 + 17) {
      std::tm tm{};
      const time_t tt = static_cast<time_t>(t);
      ::localtime_r(&tt, &tm);
      const int64_t offset = tz.span_at(t).offset;
      if (offset != tm.tm_gmtoff) {
        ++mismatches;
        ADD_FAILURE() << name << " at " << iso(TimePoint{} + std::chrono::seconds(t)) << ": " << offset
                      << " vs glibc " << tm.tm_gmtoff;
      }
    }
  }
  if (previous) ::setenv("TZ", previous->c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
}

TEST(TimeZone, RejectsBadNamesUnknownZonesAndBadFiles) {
  for (const char* bad : {"", "../etc/passwd", "/etc/localtime", "Europe/../../x", "Europe/Ber lin", "Europe/"}) {
    auto tz = TimeZone::load(bad);
    ASSERT_FALSE(tz.ok()) << bad;
    EXPECT_EQ(tz.error().code, Errc::invalid_argument) << bad;
  }
  auto missing = TimeZone::load("Mars/Olympus_Mons");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_NE(missing.error().message.find("Mars/Olympus_Mons"), std::string::npos);

  EXPECT_FALSE(TimeZone::from_tzif("Junk/Zone", "not a tzif file at all, just text").ok());
  std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto truncated = TimeZone::from_tzif("Europe/Berlin", std::string_view(bytes).substr(0, bytes.size() / 2));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos) << truncated.error().message;
}

TEST(TimeZone, LoadsFromAnotherZoneinfoDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / ("baton-tz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "Test");
  std::filesystem::copy_file("/usr/share/zoneinfo/America/New_York", dir / "Test" / "Zone",
                             std::filesystem::copy_options::overwrite_existing);
  auto tz = TimeZone::load("Test/Zone", dir.string());
  ASSERT_TRUE(tz.ok()) << tz.error().message;
  EXPECT_EQ(tz->name(), "Test/Zone");
  EXPECT_EQ(tz->offset_at(utc(2026, 1, 1)), -5h);
  std::filesystem::remove_all(dir);
}

TEST(PosixTzRule, ParsesTheFormsZicWrites) {
  auto berlin = PosixTzRule::parse("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(berlin.ok()) << berlin.error().message;
  EXPECT_EQ(berlin->standard_offset(), 3600);
  const auto changes = berlin->transitions_in_year(2026);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(iso(TimePoint{} + std::chrono::seconds(changes[0].at)), "2026-03-29T01:00:00Z");
  EXPECT_EQ(changes[0].offset, 7200);
  EXPECT_EQ(iso(TimePoint{} + std::chrono::seconds(changes[1].at)), "2026-10-25T01:00:00Z");

  auto tehran = PosixTzRule::parse("<+0330>-3:30");
  ASSERT_TRUE(tehran.ok()) << tehran.error().message;
  EXPECT_EQ(tehran->standard_offset(), 3 * 3600 + 1800);
  EXPECT_FALSE(tehran->has_dst());

  auto godthab = PosixTzRule::parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  ASSERT_TRUE(godthab.ok()) << godthab.error().message;
  // "-1" is 23:00 the evening before, in -02 standard time.
  EXPECT_EQ(iso(TimePoint{} + std::chrono::seconds(godthab->transitions_in_year(2026)[0].at)), "2026-03-29T01:00:00Z");

  auto julian = PosixTzRule::parse("XXX3YYY,J60/2,300");
  ASSERT_TRUE(julian.ok()) << julian.error().message;
  // J60 is 1 March even in a leap year.
  EXPECT_EQ(iso(TimePoint{} + std::chrono::seconds(julian->transitions_in_year(2028)[0].at)), "2028-03-01T05:00:00Z");

  for (const char* bad : {"", "C1", "CET", "CET-1CEST", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,M10.5.0x"}) {
    EXPECT_FALSE(PosixTzRule::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace baton::conductor
