#include "worker/event_outbox.hpp"

#include <algorithm>

namespace baton::worker {

namespace {

bool same_step(const v1::StepRef& a, const v1::StepRef& b) {
  return a.case_id() == b.case_id() && a.step_index() == b.step_index() && a.attempt() == b.attempt();
}

}  // namespace

void EventOutbox::add(v1::Envelope event) {
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    was_empty = waiting_.empty();  // otherwise a drain is already on its way
    if (event.has_step_finished() && event.step_finished().has_started() &&
        drop_waiting_start_locked(event.step_finished().step()))
      folded_.fetch_add(1, std::memory_order_relaxed);
    waiting_.push_back(std::move(event));
  }
  if (was_empty) post_([this] { drain(); });
}

bool EventOutbox::drop_waiting_start_locked(const v1::StepRef& step) {
  auto started = std::find_if(waiting_.begin(), waiting_.end(), [&](const v1::Envelope& e) {
    return e.has_step_started() && same_step(e.step_started().step(), step);
  });
  if (started == waiting_.end()) return false;
  // Not past the step's progress: the conductor would apply it to a case
  // that has not started yet.
  if (std::any_of(started + 1, waiting_.end(), [&](const v1::Envelope& e) {
        return e.has_step_progress() && same_step(e.step_progress().step(), step);
      }))
    return false;
  waiting_.erase(started);
  return true;
}

void EventOutbox::drain() {
  {
    std::lock_guard lock(mu_);
    draining_.swap(waiting_);
  }
  for (auto& event : draining_) publish_(event);
  draining_.clear();
}

}  // namespace baton::worker
