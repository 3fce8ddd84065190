#pragma once

#include <compare>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/schedule/run_history.hpp"
#include "conductor/schedule/schedule_spec.hpp"

namespace baton::conductor {

struct DueRun {
  std::string schedule;
  std::string target;
  TimePoint scheduled_for;
  TimePoint expires_at;
  RunOutcome reason = RunOutcome::scheduled;  // scheduled, catch_up or manual
  // catch_up: the first slot that was missed while the conductor was down.
  std::optional<TimePoint> missed_since;

  // "<schedule>/<target>/<unix ms>": the same run always gets the same id, so
  // a command published twice (crash between publish and commit) is
  // recognised as one by the worker.
  std::string run_id() const;
};

// Runs that fell due while the conductor was down, dropped because the
// schedule says `missed: skip`: every slot from missed_since to through.
struct SkippedRun {
  std::string schedule;
  std::string target;
  TimePoint missed_since;
  TimePoint through;
};

// A slot the hold predicate (maintenance window) kept from firing.
struct HeldRun {
  std::string schedule;
  std::string target;
  TimePoint scheduled_for;
};

struct DueBatch {
  std::vector<DueRun> runs;
  std::vector<SkippedRun> skipped;
  std::vector<HeldRun> held;
};

// Which (schedule, target) runs are due, on one thread (the conductor's
// strand) and by the given clock only. The lead's loop:
//   batch = book.due(clock.now());  publish batch.runs; log skipped/held;
//   book.mark_fired(run, now) once a run is published;
//   store.record(book.take_history_changes()) in the same transaction;
//   arm one timer for book.next_wakeup().
//
// Each slot is handed out once: due() consumes it (the next slot is computed
// from the slot, never from when it fired, so late firing does not drift).
// If due() is called late, slots that passed meanwhile collapse into one run.
//
// Start-up: the history (last consumed slot per target, from ScheduleStore)
// decides what happens to targets as they are added. A slot still ahead is
// kept, so a restart repeats nothing; slots that passed while down give one
// catch-up run (missed: run_once) or a SkippedRun report (missed: skip). A
// target without history starts after its splay offset (interval) or at the
// next cron time. Catch-up runs are spread by the splay offset too.
class ScheduleBook {
 public:
  using HoldPredicate = std::function<bool(const std::string& schedule, const std::string& target, TimePoint now)>;

  explicit ScheduleBook(const Clock& clock, ScheduleHistory history = {});

  // Errc::conflict for a name already present; Errc::invalid_argument for a
  // spec read_schedule() would not produce (no interval, no cron).
  Status add_schedule(ScheduleSpec spec, const std::vector<std::string>& targets);
  Status remove_schedule(const std::string& schedule);
  // Targets not listed are dropped (their history is kept for a return);
  // new ones start as described above. Errc::not_found for an unknown schedule.
  Status set_targets(const std::string& schedule, const std::vector<std::string>& targets);
  // The same for one target: added when `wanted` (if not there yet), else
  // dropped. O(log targets), for a worker coming or going among thousands.
  Status set_target(const std::string& schedule, const std::string& target, bool wanted);
  // Held runs are reported in DueBatch::held and not fired; manual triggers
  // are an operator's explicit request and are not held.
  void set_hold(HoldPredicate hold);
  // One extra run at the next due(); the regular slots are unaffected.
  Status trigger_now(const std::string& schedule, const std::string& target);

  DueBatch due(TimePoint now);
  void mark_fired(const DueRun& run, TimePoint fired_at);
  // The earliest instant due() has something to return; nullopt when idle.
  std::optional<TimePoint> next_wakeup() const;

  // History rows changed since the last call (fired, held, skipped), for
  // ScheduleStore::record in the caller's transaction.
  std::vector<std::pair<RunKey, RunHistory>> take_history_changes();
  std::optional<RunHistory> history(const std::string& schedule, const std::string& target) const;
  // The next regular (or pending catch-up) time for a target; nullopt if unknown.
  std::optional<TimePoint> next_run(const std::string& schedule, const std::string& target) const;

 private:
  struct PendingCatchUp {
    TimePoint due_at;
    TimePoint missed_since;
  };
  struct TargetState {
    std::chrono::milliseconds offset{0};
    TimePoint next_slot;
    std::optional<PendingCatchUp> catch_up;
    std::optional<SkippedRun> skipped;
    std::optional<TimePoint> manual_at;
  };
  struct Schedule {
    ScheduleSpec spec;
    std::map<std::string, TargetState> targets;
  };

  TargetState start_target(const ScheduleSpec& spec, const std::string& target, TimePoint now);
  TimePoint following_slot(const ScheduleSpec& spec, std::chrono::milliseconds offset, TimePoint slot) const;
  TimePoint latest_slot_at_or_before(const ScheduleSpec& spec, const TargetState& state, TimePoint now) const;
  TimePoint expires_at(const ScheduleSpec& spec, std::chrono::milliseconds offset, TimePoint scheduled_for) const;
  bool held(const std::string& schedule, const std::string& target, TimePoint now) const;
  void consume_slot(const std::string& schedule, const std::string& target, TimePoint slot, RunOutcome outcome);

  const Clock& clock_;
  ScheduleHistory history_;
  std::set<RunKey> changed_;
  std::map<std::string, Schedule> schedules_;
  HoldPredicate hold_;
};

}  // namespace baton::conductor
