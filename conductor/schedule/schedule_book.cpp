#include "conductor/schedule/schedule_book.hpp"

#include <algorithm>

#include "conductor/schedule/splay.hpp"

namespace baton::conductor {

namespace {

using std::chrono::milliseconds;

// A late due() collapses passed cron slots into one run; this bounds the walk
// for a dense expression after a very long stall.
constexpr int kMaxCollapsedCronSlots = 10'000;

}  // namespace

std::string DueRun::run_id() const {
  return schedule + "/" + target + "/" + std::to_string(to_unix_ms(scheduled_for));
}

ScheduleBook::ScheduleBook(const Clock& clock, ScheduleHistory history)
    : clock_(clock), history_(std::move(history)) {}

Status ScheduleBook::add_schedule(ScheduleSpec spec, const std::vector<std::string>& targets) {
  if (schedules_.count(spec.name)) {
    return make_error(Errc::conflict, "schedule " + spec.name + " already exists");
  }
  const bool valid = spec.kind == ScheduleKind::interval ? spec.interval > milliseconds(0) : spec.cron.has_value();
  if (!valid || spec.splay < milliseconds(0)) {
    return make_error(Errc::invalid_argument, "schedule " + spec.name + " has neither a positive interval nor a cron expression");
  }
  const std::string name = spec.name;
  schedules_.emplace(name, Schedule{std::move(spec), {}});
  return set_targets(name, targets);
}

Status ScheduleBook::remove_schedule(const std::string& schedule) {
  if (schedules_.erase(schedule) == 0) return make_error(Errc::not_found, "no schedule " + schedule);
  return {};
}

Status ScheduleBook::set_targets(const std::string& schedule, const std::vector<std::string>& targets) {
  const auto found = schedules_.find(schedule);
  if (found == schedules_.end()) return make_error(Errc::not_found, "no schedule " + schedule);
  Schedule& entry = found->second;
  const std::set<std::string> wanted(targets.begin(), targets.end());
  std::erase_if(entry.targets, [&](const auto& item) { return !wanted.count(item.first); });
  const TimePoint now = clock_.now();
  for (const auto& target : wanted) {
    if (!entry.targets.count(target)) entry.targets.emplace(target, start_target(entry.spec, target, now));
  }
  return {};
}

Status ScheduleBook::set_target(const std::string& schedule, const std::string& target, bool wanted) {
  const auto found = schedules_.find(schedule);
  if (found == schedules_.end()) return make_error(Errc::not_found, "no schedule " + schedule);
  Schedule& entry = found->second;
  if (!wanted) entry.targets.erase(target);
  else if (!entry.targets.count(target)) entry.targets.emplace(target, start_target(entry.spec, target, clock_.now()));
  return {};
}

void ScheduleBook::set_hold(HoldPredicate hold) { hold_ = std::move(hold); }

Status ScheduleBook::trigger_now(const std::string& schedule, const std::string& target) {
  const auto found = schedules_.find(schedule);
  if (found == schedules_.end()) return make_error(Errc::not_found, "no schedule " + schedule);
  const auto state = found->second.targets.find(target);
  if (state == found->second.targets.end()) {
    return make_error(Errc::not_found, "schedule " + schedule + " has no target " + target);
  }
  state->second.manual_at = clock_.now();
  return {};
}

ScheduleBook::TargetState ScheduleBook::start_target(const ScheduleSpec& spec, const std::string& target,
                                                     TimePoint now) {
  TargetState state;
  state.offset = splay_offset(spec.name, target, spec.splay);
  const auto known = history_.find(RunKey{spec.name, target});
  if (known == history_.end() || !known->second.last_scheduled) {
    state.next_slot = spec.kind == ScheduleKind::interval ? now + state.offset
                                                          : following_slot(spec, state.offset, now);
    return state;
  }
  const TimePoint last = *known->second.last_scheduled;
  const TimePoint first_missed = following_slot(spec, state.offset, last);
  if (first_missed > now) {
    state.next_slot = first_missed;
    return state;
  }
  if (spec.missed == MissedRunPolicy::run_once) {
    const TimePoint catch_up_at = now + state.offset;
    state.catch_up = PendingCatchUp{catch_up_at, first_missed};
    state.next_slot = following_slot(spec, state.offset, catch_up_at);
    return state;
  }
  state.next_slot = first_missed;
  // Counting cron slots could walk a week of minutes; for cron any instant
  // marks "consumed up to here", and following_slot() finds the next time.
  const TimePoint through =
      spec.kind == ScheduleKind::interval ? latest_slot_at_or_before(spec, state, now) : now;
  state.next_slot = following_slot(spec, state.offset, through);
  state.skipped = SkippedRun{spec.name, target, first_missed, through};
  consume_slot(spec.name, target, through, RunOutcome::skipped);
  return state;
}

TimePoint ScheduleBook::following_slot(const ScheduleSpec& spec, milliseconds offset, TimePoint slot) const {
  if (spec.kind == ScheduleKind::interval) return slot + spec.interval;
  return spec.cron->next_after(slot - offset, spec.time_zone) + offset;
}

// For an interval this stays on the target's grid, so its splay position
// survives; a cron slot may be any instant, as following_slot() recomputes.
TimePoint ScheduleBook::latest_slot_at_or_before(const ScheduleSpec& spec, const TargetState& state,
                                                 TimePoint now) const {
  TimePoint slot = state.next_slot;
  if (spec.kind == ScheduleKind::interval) return slot + ((now - slot) / spec.interval) * spec.interval;
  for (int i = 0; i < kMaxCollapsedCronSlots; ++i) {
    const TimePoint next = following_slot(spec, state.offset, slot);
    if (next > now) return slot;
    slot = next;
  }
  return now;
}

TimePoint ScheduleBook::expires_at(const ScheduleSpec& spec, milliseconds offset, TimePoint scheduled_for) const {
  if (spec.expiry) return scheduled_for + *spec.expiry;
  if (spec.kind == ScheduleKind::interval) return scheduled_for + spec.interval;
  const TimePoint next = following_slot(spec, offset, scheduled_for);
  return scheduled_for + std::min<TimePoint::duration>(next - scheduled_for, kMaxDerivedCronExpiry);
}

bool ScheduleBook::held(const std::string& schedule, const std::string& target, TimePoint now) const {
  return hold_ && hold_(schedule, target, now);
}

void ScheduleBook::consume_slot(const std::string& schedule, const std::string& target, TimePoint slot,
                                RunOutcome outcome) {
  const RunKey key{schedule, target};
  RunHistory& record = history_[key];
  if (!record.last_scheduled || *record.last_scheduled < slot) record.last_scheduled = slot;
  record.last_outcome = outcome;
  changed_.insert(key);
}

DueBatch ScheduleBook::due(TimePoint now) {
  DueBatch batch;
  for (auto& [name, entry] : schedules_) {
    const ScheduleSpec& spec = entry.spec;
    for (auto& [target, state] : entry.targets) {
      if (state.skipped) {
        batch.skipped.push_back(std::move(*state.skipped));
        state.skipped.reset();
      }
      if (state.manual_at && *state.manual_at <= now) {
        const TimePoint at = *state.manual_at;
        batch.runs.push_back(DueRun{name, target, at, expires_at(spec, state.offset, at), RunOutcome::manual, {}});
        state.manual_at.reset();
      }
      if (state.catch_up && state.catch_up->due_at <= now) {
        const PendingCatchUp catch_up = *state.catch_up;
        state.catch_up.reset();
        if (held(name, target, now)) {
          batch.held.push_back(HeldRun{name, target, catch_up.due_at});
          consume_slot(name, target, catch_up.due_at, RunOutcome::held);
        } else {
          batch.runs.push_back(DueRun{name, target, catch_up.due_at, expires_at(spec, state.offset, catch_up.due_at),
                                      RunOutcome::catch_up, catch_up.missed_since});
        }
        continue;
      }
      if (state.catch_up || state.next_slot > now) continue;
      const TimePoint slot = latest_slot_at_or_before(spec, state, now);
      state.next_slot = following_slot(spec, state.offset, slot);
      if (held(name, target, now)) {
        batch.held.push_back(HeldRun{name, target, slot});
        consume_slot(name, target, slot, RunOutcome::held);
        continue;
      }
      batch.runs.push_back(DueRun{name, target, slot, expires_at(spec, state.offset, slot), RunOutcome::scheduled, {}});
    }
  }
  return batch;
}

void ScheduleBook::mark_fired(const DueRun& run, TimePoint fired_at) {
  const RunKey key{run.schedule, run.target};
  if (run.reason == RunOutcome::manual) {
    history_[key].last_outcome = RunOutcome::manual;
    changed_.insert(key);
  } else {
    consume_slot(run.schedule, run.target, run.scheduled_for, run.reason);
  }
  history_[key].last_fired = fired_at;
}

std::optional<TimePoint> ScheduleBook::next_wakeup() const {
  std::optional<TimePoint> earliest;
  const auto consider = [&](TimePoint t) {
    if (!earliest || t < *earliest) earliest = t;
  };
  for (const auto& [name, entry] : schedules_) {
    for (const auto& [target, state] : entry.targets) {
      if (state.skipped) consider(clock_.now());
      if (state.manual_at) consider(*state.manual_at);
      consider(state.catch_up ? state.catch_up->due_at : state.next_slot);
    }
  }
  return earliest;
}

std::vector<std::pair<RunKey, RunHistory>> ScheduleBook::take_history_changes() {
  std::vector<std::pair<RunKey, RunHistory>> changes;
  for (const auto& key : changed_) changes.emplace_back(key, history_.at(key));
  changed_.clear();
  return changes;
}

std::optional<RunHistory> ScheduleBook::history(const std::string& schedule, const std::string& target) const {
  const auto found = history_.find(RunKey{schedule, target});
  if (found == history_.end()) return std::nullopt;
  return found->second;
}

std::optional<TimePoint> ScheduleBook::next_run(const std::string& schedule, const std::string& target) const {
  const auto found = schedules_.find(schedule);
  if (found == schedules_.end()) return std::nullopt;
  const auto state = found->second.targets.find(target);
  if (state == found->second.targets.end()) return std::nullopt;
  return state->second.catch_up ? state->second.catch_up->due_at : state->second.next_slot;
}

}  // namespace baton::conductor
