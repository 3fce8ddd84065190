#include "worker/checks/range.hpp"

#include <gtest/gtest.h>

#include "worker/checks/check_state.hpp"

namespace baton::worker::checks {
namespace {

Range parse(const std::string& text) {
  auto range = Range::parse(text);
  EXPECT_TRUE(range.ok()) << text << ": " << (range.ok() ? "" : range.error().message);
  return range.ok() ? *range : Range{};
}

TEST(CheckStateTest, NamesAndExitCodes) {
  EXPECT_STREQ(to_string(CheckState::ok), "OK");
  EXPECT_STREQ(to_string(CheckState::warning), "WARNING");
  EXPECT_STREQ(to_string(CheckState::critical), "CRITICAL");
  EXPECT_STREQ(to_string(CheckState::unknown), "UNKNOWN");
  EXPECT_EQ(state_from_exit_code(0), CheckState::ok);
  EXPECT_EQ(state_from_exit_code(1), CheckState::warning);
  EXPECT_EQ(state_from_exit_code(2), CheckState::critical);
  EXPECT_EQ(state_from_exit_code(3), CheckState::unknown);
  EXPECT_EQ(state_from_exit_code(4), CheckState::unknown);
  EXPECT_EQ(state_from_exit_code(-1), CheckState::unknown);
  EXPECT_EQ(state_from_exit_code(127), CheckState::unknown);
  EXPECT_EQ(exit_code_of(CheckState::critical), 2);
  CheckState parsed = CheckState::ok;
  EXPECT_TRUE(parse_state("warning", parsed));
  EXPECT_EQ(parsed, CheckState::warning);
  EXPECT_FALSE(parse_state("bad", parsed));
}

TEST(CheckStateTest, CriticalOutranksUnknown) {
  EXPECT_EQ(worst_of(CheckState::ok, CheckState::warning), CheckState::warning);
  EXPECT_EQ(worst_of(CheckState::warning, CheckState::unknown), CheckState::unknown);
  EXPECT_EQ(worst_of(CheckState::critical, CheckState::unknown), CheckState::critical);
  EXPECT_EQ(worst_of(CheckState::unknown, CheckState::critical), CheckState::critical);
}

TEST(RangeTest, PlainNumberAlertsOutsideZeroToIt) {
  Range r = parse("10");
  EXPECT_TRUE(r.alerts(-0.001));
  EXPECT_FALSE(r.alerts(0));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_TRUE(r.alerts(10.0001));
}

TEST(RangeTest, OpenEndAlertsBelowStart) {
  Range r = parse("10:");
  EXPECT_TRUE(r.alerts(9.999));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_FALSE(r.alerts(1e12));
}

TEST(RangeTest, TildeStartAlertsAboveEnd) {
  Range r = parse("~:10");
  EXPECT_FALSE(r.alerts(-1e12));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_TRUE(r.alerts(10.5));
}

TEST(RangeTest, BoundedAlertsOutside) {
  Range r = parse("10:20");
  EXPECT_TRUE(r.alerts(9));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_FALSE(r.alerts(15));
  EXPECT_FALSE(r.alerts(20));
  EXPECT_TRUE(r.alerts(21));
}

TEST(RangeTest, AtAlertsInsideIncludingEndpoints) {
  Range r = parse("@10:20");
  EXPECT_FALSE(r.alerts(9.99));
  EXPECT_TRUE(r.alerts(10));
  EXPECT_TRUE(r.alerts(15));
  EXPECT_TRUE(r.alerts(20));
  EXPECT_FALSE(r.alerts(20.01));
}

TEST(RangeTest, NegativeAndDecimalEndpoints) {
  Range r = parse("-5.5:0.25");
  EXPECT_TRUE(r.alerts(-5.6));
  EXPECT_FALSE(r.alerts(-5.5));
  EXPECT_FALSE(r.alerts(0.25));
  EXPECT_TRUE(r.alerts(0.26));
}

TEST(RangeTest, RejectsMalformedRanges) {
  for (const char* bad : {"", "@", "abc", "10:5", "1O", "~", "10:x", "5:~"}) {
    auto r = Range::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("Nagios range"), std::string::npos);
    }
  }
}

TEST(RangeTest, NumericTextForPerfdata) {
  EXPECT_EQ(parse("10").numeric_text(), "10");
  EXPECT_EQ(parse("10:").numeric_text(), "10:");
  EXPECT_EQ(parse("~:10").numeric_text(), "~:10");
  EXPECT_EQ(parse("@10:20").numeric_text(), "@10:20");
  auto scaled = Range::parse("1:2", [](std::string_view t) -> Result<double> { return t == "1" ? 1024.0 : 2048.0; });
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->numeric_text(), "1024:2048");
  EXPECT_EQ(scaled->text(), "1:2");
}

TEST(ThresholdsTest, CriticalWinsAndBoundariesDoNotAlert) {
  Thresholds t{parse("80"), parse("90")};
  EXPECT_EQ(t.evaluate(80), CheckState::ok);
  EXPECT_EQ(t.evaluate(80.5), CheckState::warning);
  EXPECT_EQ(t.evaluate(90), CheckState::warning);
  EXPECT_EQ(t.evaluate(90.5), CheckState::critical);
  EXPECT_EQ(Thresholds{}.evaluate(1e9), CheckState::ok);
}

}  // namespace
}  // namespace baton::worker::checks
