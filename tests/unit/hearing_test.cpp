#include <gtest/gtest.h>

#include "conductor/core/hearing.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint{} + 1h;

TEST(Hearing, NothingIsJudgedWhileTheBrokerLinkIsDownAndSilenceCountsFromTheWorkersReturn) {
  Hearing hearing(1s, 10s);
  EXPECT_FALSE(hearing.round(false, 0, 0ms, kNow).judge) << "not linked yet at start";
  EXPECT_FALSE(hearing.round(false, 0, 0ms, kNow + 1s).judge);
  const auto back = hearing.round(true, 1, 0ms, kNow + 2s);
  EXPECT_TRUE(back.judge);
  ASSERT_TRUE(back.excuse_until.has_value());
  EXPECT_EQ(*back.excuse_until, kNow + 12s) << "the workers reconnect on their own back-off";
  const auto next = hearing.round(true, 1, 0ms, kNow + 3s);
  EXPECT_TRUE(next.judge);
  EXPECT_FALSE(next.excuse_until.has_value()) << "excused once per outage";
}

TEST(Hearing, AnOutageBetweenTwoRoundsIsSeenInTheReconnectCount) {
  Hearing hearing(1s, 10s);
  ASSERT_TRUE(hearing.round(true, 1, 0ms, kNow).excuse_until.has_value());
  EXPECT_FALSE(hearing.round(true, 1, 0ms, kNow + 1s).excuse_until.has_value());
  const auto after = hearing.round(true, 2, 0ms, kNow + 2s);  // dropped and back since
  ASSERT_TRUE(after.excuse_until.has_value());
  EXPECT_EQ(*after.excuse_until, kNow + 12s);
}

TEST(Hearing, ALateRoundLeavesTheJudgingToTheNextOne) {
  Hearing hearing(1s, 10s);
  ASSERT_TRUE(hearing.round(true, 0, 0ms, kNow).judge);
  EXPECT_TRUE(hearing.round(true, 0, 1s, kNow).judge) << "at the limit is not a stall";
  const auto stalled = hearing.round(true, 0, 1001ms, kNow);
  EXPECT_FALSE(stalled.judge);
  ASSERT_TRUE(stalled.stalled.has_value());
  EXPECT_EQ(*stalled.stalled, 1001ms);
  EXPECT_FALSE(stalled.excuse_until.has_value()) << "a stall delays the judging; it does not reset deadlines";
  EXPECT_TRUE(hearing.round(true, 0, 0ms, kNow).judge);
}

TEST(Hearing, ACoreThatIsAlwaysLateStillJudgesEveryOtherRound) {
  Hearing hearing(1s, 10s);
  ASSERT_TRUE(hearing.round(true, 0, 0ms, kNow).judge);
  int judged = 0;
  for (int i = 0; i < 10; ++i) judged += hearing.round(true, 0, 5s, kNow).judge ? 1 : 0;
  EXPECT_EQ(judged, 5);
}

}  // namespace
}  // namespace baton::conductor
