#include <gtest/gtest.h>

#include "conductor/core/hearing.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint{} + 1h;

// A round on a linked conductor that runs on time with nothing waiting.
Hearing::Moment on_time(TimePoint now = kNow) { return {.linked = true, .now = now}; }
Hearing::Moment late(std::chrono::milliseconds by, bool behind = false) {
  return {.linked = true, .late = by, .behind = behind, .now = kNow};
}

TEST(Hearing, NothingIsJudgedWhileTheBrokerLinkIsDownAndSilenceCountsFromTheWorkersReturn) {
  Hearing hearing(1s, 10s);
  EXPECT_FALSE(hearing.round({.linked = false, .now = kNow}).judge) << "not linked yet at start";
  EXPECT_FALSE(hearing.round({.linked = false, .now = kNow + 1s}).judge);
  const auto back = hearing.round({.linked = true, .reconnects = 1, .now = kNow + 2s});
  EXPECT_TRUE(back.judge);
  ASSERT_TRUE(back.excuse_until.has_value());
  EXPECT_EQ(*back.excuse_until, kNow + 12s) << "the workers reconnect on their own back-off";
  const auto next = hearing.round({.linked = true, .reconnects = 1, .now = kNow + 3s});
  EXPECT_TRUE(next.judge);
  EXPECT_FALSE(next.excuse_until.has_value()) << "excused once per outage";
}

TEST(Hearing, AnOutageBetweenTwoRoundsIsSeenInTheReconnectCount) {
  Hearing hearing(1s, 10s);
  ASSERT_TRUE(hearing.round({.linked = true, .reconnects = 1, .now = kNow}).excuse_until.has_value());
  EXPECT_FALSE(hearing.round({.linked = true, .reconnects = 1, .now = kNow + 1s}).excuse_until.has_value());
  const auto after = hearing.round({.linked = true, .reconnects = 2, .now = kNow + 2s});  // dropped and back since
  ASSERT_TRUE(after.excuse_until.has_value());
  EXPECT_EQ(*after.excuse_until, kNow + 12s);
}

TEST(Hearing, ALateRoundLeavesTheJudgingToTheNextOne) {
  Hearing hearing(1s, 10s);
  ASSERT_TRUE(hearing.round(on_time()).judge);
  EXPECT_TRUE(hearing.round(late(1s)).judge) << "at the limit is not a stall";
  const auto stalled = hearing.round(late(1001ms));
  EXPECT_FALSE(stalled.judge);
  ASSERT_TRUE(stalled.stalled.has_value());
  EXPECT_EQ(*stalled.stalled, 1001ms);
  EXPECT_FALSE(stalled.excuse_until.has_value()) << "a stall delays the judging; it does not reset deadlines";
  EXPECT_TRUE(hearing.round(on_time()).judge);
}

TEST(Hearing, AfterAStallTheEventsThatWaitedAreAppliedBeforeAnyoneIsJudged) {
  Hearing hearing(1s, 10s);
  ASSERT_FALSE(hearing.round(late(3s, true)).judge);
  EXPECT_FALSE(hearing.round(late(0ms, true)).judge) << "heartbeats held up with the stall are still waiting";
  EXPECT_TRUE(hearing.round(late(0ms, true)).judge) << "but not for ever: a busy core must still find dead workers";
  EXPECT_TRUE(hearing.round(late(0ms, true)).judge) << "a backlog alone, with no stall, delays nothing";
}

TEST(Hearing, AStallWhoseEventsAreInIsJudgedByTheNextRound) {
  Hearing hearing(1s, 10s);
  ASSERT_FALSE(hearing.round(late(3s, true)).judge);
  EXPECT_TRUE(hearing.round(late(0ms, false)).judge);
}

TEST(Hearing, ACoreThatIsAlwaysLateStillJudgesEveryThirdRound) {
  Hearing hearing(1s, 10s);
  ASSERT_TRUE(hearing.round(on_time()).judge);
  int judged = 0;
  for (int i = 0; i < 9; ++i) judged += hearing.round(late(5s, true)).judge ? 1 : 0;
  EXPECT_EQ(judged, 3);
}

}  // namespace
}  // namespace baton::conductor
