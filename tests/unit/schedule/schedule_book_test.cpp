#include <gtest/gtest.h>

#include <map>
#include <set>

#include "conductor/schedule/schedule_book.hpp"
#include "conductor/schedule/splay.hpp"
#include "tests/unit/schedule/schedule_test_support.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;
using testing::iso;
using testing::utc;

const TimePoint kStart = utc(2026, 1, 10, 12, 0);

ScheduleSpec every(const std::string& name, std::chrono::milliseconds interval, std::chrono::milliseconds splay = 0ms) {
  ScheduleSpec spec;
  spec.name = name;
  spec.interval = interval;
  spec.splay = splay;
  return spec;
}

ScheduleSpec cron(const std::string& name, const std::string& expression, const std::string& zone = "UTC") {
  ScheduleSpec spec;
  spec.name = name;
  spec.kind = ScheduleKind::cron;
  spec.cron = std::move(CronExpression::parse(expression).value());
  spec.time_zone = testing::zone(zone);
  return spec;
}

TEST(ScheduleBook, IntervalFiresOnTimeThenEveryIntervalWithoutDrift) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  ASSERT_TRUE(book.add_schedule(every("disk", 5min), {"w1"}).ok());
  EXPECT_EQ(book.next_wakeup(), kStart);

  DueBatch first = book.due(clock.now());
  ASSERT_EQ(first.runs.size(), 1u);
  EXPECT_EQ(first.runs[0].scheduled_for, kStart);
  EXPECT_EQ(first.runs[0].expires_at, kStart + 5min);
  EXPECT_EQ(first.runs[0].reason, RunOutcome::scheduled);
  EXPECT_TRUE(book.due(clock.now()).runs.empty()) << "a slot is handed out once";

  for (int n = 1; n <= 3; ++n) {
    const TimePoint slot = kStart + n * 5min;
    EXPECT_TRUE(book.due(slot - 1ms).runs.empty());
    clock.set(slot + 7s);  // the strand was busy: fired 7s late
    DueBatch batch = book.due(clock.now());
    ASSERT_EQ(batch.runs.size(), 1u);
    EXPECT_EQ(iso(batch.runs[0].scheduled_for), iso(slot));
    book.mark_fired(batch.runs[0], clock.now());
    EXPECT_EQ(book.next_wakeup(), slot + 5min) << "lateness does not shift the next slot";
  }
  const auto history = book.history("disk", "w1");
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(history->last_scheduled, kStart + 15min);
  EXPECT_EQ(history->last_fired, kStart + 15min + 7s);
  EXPECT_EQ(history->last_outcome, RunOutcome::scheduled);
}

TEST(ScheduleBook, SlotsPassedWhileNotAskedCollapseIntoOneRun) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  ASSERT_TRUE(book.add_schedule(every("disk", 5min), {"w1"}).ok());
  (void)book.due(kStart);
  DueBatch batch = book.due(kStart + 17min);
  ASSERT_EQ(batch.runs.size(), 1u);
  EXPECT_EQ(batch.runs[0].scheduled_for, kStart + 15min);
  EXPECT_EQ(book.next_wakeup(), kStart + 20min);
}

TEST(ScheduleBook, NewTargetsStartAfterTheirSplayNotAllAtOnce) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  std::vector<std::string> targets;
  for (int i = 0; i < 500; ++i) targets.push_back("worker-" + std::to_string(i));
  ASSERT_TRUE(book.add_schedule(every("disk", 5min, 30s), targets).ok());

  std::set<TimePoint> starts;
  for (const auto& target : targets) {
    const auto next = book.next_run("disk", target);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, kStart + splay_offset("disk", target, 30s));
    starts.insert(*next);
  }
  EXPECT_GE(starts.size(), 490u);
  const size_t at_once = book.due(kStart).runs.size();
  const size_t first_tenth = book.due(kStart + 3s).runs.size();
  const size_t rest = book.due(kStart + 30s).runs.size();
  EXPECT_LT(at_once, 5u);
  EXPECT_LT(at_once + first_tenth, 100u) << "the first 3s of a 30s window";
  EXPECT_EQ(at_once + first_tenth + rest, 500u);

  // A target that appears later waits for its own offset, then keeps its period.
  clock.set(kStart + 2min);
  ASSERT_TRUE(book.set_targets("disk", {"worker-1", "late-comer"}).ok());
  const TimePoint late_start = kStart + 2min + splay_offset("disk", "late-comer", 30s);
  EXPECT_EQ(book.next_run("disk", "late-comer"), late_start);
  EXPECT_FALSE(book.next_run("disk", "worker-2").has_value()) << "dropped";
  EXPECT_EQ(book.next_run("disk", "worker-1"), kStart + splay_offset("disk", "worker-1", 30s) + 5min);
  ASSERT_EQ(book.due(late_start).runs.size(), 1u);
  EXPECT_EQ(book.next_run("disk", "late-comer"), late_start + 5min);
}

TEST(ScheduleBook, OneTargetJoinsOrLeavesWithoutMovingTheOthers) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  ASSERT_TRUE(book.add_schedule(every("disk", 5min), {"worker-1"}).ok());
  const auto first = book.next_run("disk", "worker-1");
  ASSERT_TRUE(first.has_value());

  clock.set(kStart + 2min);
  ASSERT_TRUE(book.set_target("disk", "late-comer", true).ok());
  EXPECT_EQ(book.next_run("disk", "late-comer"), kStart + 2min) << "no splay: it starts at once";
  ASSERT_TRUE(book.set_target("disk", "late-comer", true).ok());
  EXPECT_EQ(book.next_run("disk", "late-comer"), kStart + 2min) << "adding it twice restarts nothing";
  EXPECT_EQ(book.next_run("disk", "worker-1"), first) << "the others keep their slots";

  ASSERT_TRUE(book.set_target("disk", "worker-1", false).ok());
  EXPECT_FALSE(book.next_run("disk", "worker-1").has_value());
  ASSERT_TRUE(book.set_target("disk", "never-there", false).ok()) << "dropping a stranger is a no-op";
  EXPECT_EQ(book.due(kStart + 2min).runs.size(), 1u);
}

TEST(ScheduleBook, CronRunsAtWallClockTimesShiftedBySplay) {
  ManualClock clock(utc(2026, 1, 10, 12, 0));
  ScheduleBook book(clock);
  ScheduleSpec spec = cron("backup", "0 3 * * *", "Europe/Berlin");
  spec.splay = 10min;
  ASSERT_TRUE(book.add_schedule(spec, {"db"}).ok());
  const auto offset = splay_offset("backup", "db", 10min);
  const TimePoint slot = utc(2026, 1, 11, 2, 0) + offset;
  EXPECT_EQ(book.next_run("backup", "db"), slot);
  DueBatch batch = book.due(slot);
  ASSERT_EQ(batch.runs.size(), 1u);
  EXPECT_EQ(batch.runs[0].expires_at, slot + kMaxDerivedCronExpiry) << "a day's gap, capped";
  EXPECT_EQ(book.next_run("backup", "db"), utc(2026, 1, 12, 2, 0) + offset);
}

TEST(ScheduleBook, ExpiryIsExplicitOrTheGapToTheNextRun) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  ScheduleSpec fixed = every("fixed", 10min);
  fixed.expiry = 90s;
  ASSERT_TRUE(book.add_schedule(fixed, {"w"}).ok());
  ASSERT_TRUE(book.add_schedule(cron("often", "*/5 * * * *"), {"w"}).ok());
  ASSERT_TRUE(book.add_schedule(every("plain", 10min), {"w"}).ok());
  std::map<std::string, TimePoint> expiries;
  for (const auto& run : book.due(kStart).runs) expiries[run.schedule] = run.expires_at;
  EXPECT_EQ(expiries.at("fixed"), kStart + 90s);
  EXPECT_EQ(expiries.at("plain"), kStart + 10min);
  EXPECT_FALSE(expiries.count("often")) << "cron waits for its first time";
  DueBatch batch = book.due(kStart + 5min);
  ASSERT_EQ(batch.runs.size(), 1u);
  EXPECT_EQ(batch.runs[0].expires_at, kStart + 10min) << "valid until the next cron time";
}

TEST(ScheduleBook, HeldRunsAreReportedNotFired) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  ASSERT_TRUE(book.add_schedule(every("disk", 5min), {"w1", "w2"}).ok());
  const TimePoint window_end = kStart + 7min;
  book.set_hold([&](const std::string& schedule, const std::string& target, TimePoint now) {
    return schedule == "disk" && target == "w2" && now < window_end;
  });

  for (TimePoint t : {kStart, kStart + 5min}) {
    DueBatch batch = book.due(t);
    ASSERT_EQ(batch.runs.size(), 1u);
    EXPECT_EQ(batch.runs[0].target, "w1");
    ASSERT_EQ(batch.held.size(), 1u);
    EXPECT_EQ(batch.held[0].target, "w2");
    EXPECT_EQ(batch.held[0].scheduled_for, t);
  }
  const auto held = book.history("disk", "w2");
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->last_outcome, RunOutcome::held);
  EXPECT_EQ(held->last_scheduled, kStart + 5min);
  EXPECT_FALSE(held->last_fired.has_value());

  DueBatch after = book.due(kStart + 10min);
  EXPECT_EQ(after.runs.size(), 2u);
  EXPECT_TRUE(after.held.empty());
}

TEST(ScheduleBook, ManualTriggerRunsOnceAndLeavesTheScheduleAlone) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  ASSERT_TRUE(book.add_schedule(every("disk", 5min), {"w1"}).ok());
  (void)book.due(kStart);
  book.set_hold([](const std::string&, const std::string&, TimePoint) { return true; });

  clock.set(kStart + 2min);
  ASSERT_TRUE(book.trigger_now("disk", "w1").ok());
  EXPECT_EQ(book.next_wakeup(), kStart + 2min);
  DueBatch batch = book.due(clock.now());
  ASSERT_EQ(batch.runs.size(), 1u) << "an operator's request is not held";
  EXPECT_EQ(batch.runs[0].reason, RunOutcome::manual);
  EXPECT_EQ(batch.runs[0].scheduled_for, kStart + 2min);
  const DueRun regular{"disk", "w1", kStart, kStart + 5min, RunOutcome::scheduled, std::nullopt};
  EXPECT_NE(batch.runs[0].run_id(), regular.run_id());
  EXPECT_EQ(regular.run_id(), "disk/w1/" + std::to_string(to_unix_ms(kStart)));
  book.mark_fired(batch.runs[0], clock.now());
  EXPECT_EQ(book.next_run("disk", "w1"), kStart + 5min);
  EXPECT_EQ(book.history("disk", "w1")->last_outcome, RunOutcome::manual);
  EXPECT_FALSE(book.history("disk", "w1")->last_scheduled.has_value()) << "no regular slot was marked fired";

  EXPECT_EQ(book.trigger_now("disk", "nobody").error().code, Errc::not_found);
  EXPECT_EQ(book.trigger_now("nothing", "w1").error().code, Errc::not_found);
}

TEST(ScheduleBook, RejectsDuplicateAndEmptySchedules) {
  ManualClock clock(kStart);
  ScheduleBook book(clock);
  EXPECT_FALSE(book.next_wakeup().has_value());
  ASSERT_TRUE(book.add_schedule(every("disk", 5min), {}).ok());
  EXPECT_FALSE(book.next_wakeup().has_value()) << "no targets, nothing to wake for";
  EXPECT_EQ(book.add_schedule(every("disk", 1min), {"w"}).error().code, Errc::conflict);
  EXPECT_EQ(book.add_schedule(every("zero", 0ms), {"w"}).error().code, Errc::invalid_argument);
  EXPECT_EQ(book.set_targets("nothing", {"w"}).error().code, Errc::not_found);
  EXPECT_EQ(book.set_target("nothing", "w", true).error().code, Errc::not_found);
  EXPECT_TRUE(book.remove_schedule("disk").ok());
  EXPECT_EQ(book.remove_schedule("disk").error().code, Errc::not_found);
}

}  // namespace
}  // namespace baton::conductor
