// Restarts through a real SQLite file: the store keeps each target's last
// slot, so a new ScheduleBook neither repeats a run nor loses one silently.
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "conductor/schedule/schedule_book.hpp"
#include "conductor/schedule/schedule_store.hpp"
#include "tests/unit/schedule/schedule_test_support.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;
using testing::utc;

const TimePoint kStart = utc(2026, 1, 10, 12, 0);

class ScheduleRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-schedule-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto db = sqlite::Database::open(path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE(db->exec(ScheduleStore::kSchema).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path() const { return (dir_ / "baton.db").string(); }

  // Persists what a book changed, the way the lead does: in one transaction.
  void save(ScheduleBook& book) {
    auto db = std::move(sqlite::Database::open(path()).value());
    sqlite::Transaction txn(db);
    ASSERT_TRUE(txn.begun().ok());
    ASSERT_TRUE(ScheduleStore(db).record(book.take_history_changes()).ok());
    ASSERT_TRUE(txn.commit().ok());
  }

  ScheduleHistory load() {
    auto db = std::move(sqlite::Database::open(path()).value());
    auto history = ScheduleStore(db).load();
    EXPECT_TRUE(history.ok()) << history.error().message;
    return history.ok() ? *history : ScheduleHistory{};
  }

  // The first life: fire the first slot of every target at kStart.
  void run_first_slot(ScheduleSpec spec, const std::vector<std::string>& targets) {
    ManualClock clock(kStart);
    ScheduleBook book(clock);
    ASSERT_TRUE(book.add_schedule(std::move(spec), targets).ok());
    for (const auto& run : book.due(kStart).runs) book.mark_fired(run, kStart + 1s);
    save(book);
  }

  std::filesystem::path dir_;
};

ScheduleSpec every5m(MissedRunPolicy missed) {
  ScheduleSpec spec;
  spec.name = "disk";
  spec.interval = 5min;
  spec.missed = missed;
  return spec;
}

TEST_F(ScheduleRestart, StoreRoundTripsAndUpdatesRows) {
  auto db = std::move(sqlite::Database::open(path()).value());
  ScheduleStore store(db);
  EXPECT_TRUE(store.load()->empty());
  RunHistory full{kStart, kStart + 1s, RunOutcome::catch_up};
  RunHistory manual_only{std::nullopt, kStart, RunOutcome::manual};
  ASSERT_TRUE(store.record({"a", "w1"}, full).ok());
  ASSERT_TRUE(store.record({"a", "w2"}, manual_only).ok());
  ASSERT_TRUE(store.record({"b", "w1"}, full).ok());
  full.last_outcome = RunOutcome::held;
  ASSERT_TRUE(store.record({"a", "w1"}, full).ok());
  ASSERT_TRUE(db.exec("INSERT INTO schedule_runs VALUES ('c', 'w', 5, NULL, 'from-the-future')").ok());

  ScheduleHistory loaded = *store.load();
  ASSERT_EQ(loaded.size(), 4u);
  EXPECT_EQ((loaded[{"a", "w1"}]), full);
  EXPECT_EQ((loaded[{"a", "w2"}]), manual_only);
  EXPECT_EQ((loaded[{"c", "w"}].last_outcome), RunOutcome::none);
  ASSERT_TRUE(store.forget_schedule("a").ok());
  EXPECT_EQ(store.load()->size(), 2u);
}

TEST_F(ScheduleRestart, ARunThatHappenedIsNotRepeated) {
  run_first_slot(every5m(MissedRunPolicy::run_once), {"w1", "w2"});
  ManualClock clock(kStart + 2min);
  ScheduleBook book(clock, load());
  ASSERT_TRUE(book.add_schedule(every5m(MissedRunPolicy::run_once), {"w1", "w2"}).ok());
  EXPECT_EQ(book.next_wakeup(), kStart + 5min);
  EXPECT_TRUE(book.due(clock.now()).runs.empty());
  EXPECT_EQ(book.due(kStart + 5min).runs.size(), 2u);
}

TEST_F(ScheduleRestart, RunOnceGivesExactlyOneCatchUpForMissedSlots) {
  run_first_slot(every5m(MissedRunPolicy::run_once), {"w1"});
  ManualClock clock(kStart + 17min);  // slots at +5, +10 and +15 passed while down
  ScheduleBook book(clock, load());
  ASSERT_TRUE(book.add_schedule(every5m(MissedRunPolicy::run_once), {"w1"}).ok());

  DueBatch batch = book.due(clock.now());
  ASSERT_EQ(batch.runs.size(), 1u);
  const DueRun& catch_up = batch.runs[0];
  EXPECT_EQ(catch_up.reason, RunOutcome::catch_up);
  EXPECT_EQ(catch_up.scheduled_for, kStart + 17min);
  EXPECT_EQ(catch_up.missed_since, kStart + 5min);
  EXPECT_EQ(catch_up.expires_at, kStart + 22min);
  EXPECT_TRUE(batch.skipped.empty());
  book.mark_fired(catch_up, clock.now());
  save(book);

  EXPECT_TRUE(book.due(kStart + 22min - 1ms).runs.empty()) << "one catch-up, not one per missed slot";
  EXPECT_EQ(book.next_wakeup(), kStart + 22min);

  // A second restart soon after remembers the catch-up.
  ManualClock later(kStart + 20min);
  ScheduleBook again(later, load());
  ASSERT_TRUE(again.add_schedule(every5m(MissedRunPolicy::run_once), {"w1"}).ok());
  EXPECT_TRUE(again.due(later.now()).runs.empty());
  EXPECT_EQ(again.next_wakeup(), kStart + 22min);
}

TEST_F(ScheduleRestart, SkipRunsNothingButReportsTheGapOnce) {
  run_first_slot(every5m(MissedRunPolicy::skip), {"w1"});
  ManualClock clock(kStart + 17min);
  ScheduleBook book(clock, load());
  ASSERT_TRUE(book.add_schedule(every5m(MissedRunPolicy::skip), {"w1"}).ok());
  EXPECT_EQ(book.next_wakeup(), clock.now()) << "the report is due at once";

  DueBatch batch = book.due(clock.now());
  EXPECT_TRUE(batch.runs.empty());
  ASSERT_EQ(batch.skipped.size(), 1u);
  EXPECT_EQ(batch.skipped[0].missed_since, kStart + 5min);
  EXPECT_EQ(batch.skipped[0].through, kStart + 15min);
  EXPECT_EQ(book.next_wakeup(), kStart + 20min) << "back on the original grid";
  EXPECT_TRUE(book.due(clock.now()).skipped.empty());
  save(book);

  ManualClock later(kStart + 18min);
  ScheduleBook again(later, load());
  ASSERT_TRUE(again.add_schedule(every5m(MissedRunPolicy::skip), {"w1"}).ok());
  DueBatch quiet = again.due(later.now());
  EXPECT_TRUE(quiet.runs.empty());
  EXPECT_TRUE(quiet.skipped.empty()) << "the skip was recorded, not reported again";
  EXPECT_EQ(again.next_wakeup(), kStart + 20min);
}

TEST_F(ScheduleRestart, DailyCronCatchesUpOnceAfterAnOutage) {
  ScheduleSpec spec;
  spec.name = "backup";
  spec.kind = ScheduleKind::cron;
  spec.cron = std::move(CronExpression::parse("@daily").value());
  {
    ManualClock clock(utc(2026, 1, 10, 23, 0));
    ScheduleBook book(clock);
    ASSERT_TRUE(book.add_schedule(spec, {"db"}).ok());
    DueBatch batch = book.due(utc(2026, 1, 11));
    ASSERT_EQ(batch.runs.size(), 1u);
    book.mark_fired(batch.runs[0], utc(2026, 1, 11));
    save(book);
  }
  ManualClock clock(utc(2026, 1, 13, 10, 0));  // down for two midnights
  ScheduleBook book(clock, load());
  ASSERT_TRUE(book.add_schedule(spec, {"db"}).ok());
  DueBatch batch = book.due(clock.now());
  ASSERT_EQ(batch.runs.size(), 1u);
  EXPECT_EQ(batch.runs[0].reason, RunOutcome::catch_up);
  EXPECT_EQ(batch.runs[0].missed_since, utc(2026, 1, 12));
  book.mark_fired(batch.runs[0], clock.now());
  EXPECT_EQ(book.next_wakeup(), utc(2026, 1, 14));
}

TEST_F(ScheduleRestart, ARunHandedOutButNeverRecordedIsCaughtUp) {
  {
    ManualClock clock(kStart);
    ScheduleBook book(clock);
    ASSERT_TRUE(book.add_schedule(every5m(MissedRunPolicy::run_once), {"w1"}).ok());
    ASSERT_EQ(book.due(kStart).runs.size(), 1u);  // crashed before publishing
    save(book);
  }
  ManualClock clock(kStart + 1min);
  ScheduleBook book(clock, load());
  ASSERT_TRUE(book.add_schedule(every5m(MissedRunPolicy::run_once), {"w1"}).ok());
  EXPECT_EQ(book.due(clock.now()).runs.size(), 1u) << "a target without history starts at once";
}

}  // namespace
}  // namespace baton::conductor
