#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "baton/envelope.pb.h"

namespace baton::worker {

// The worker's events on their way to the conductor. Any thread adds (the
// job watcher, the task threads, the strand); the strand publishes them in
// the order they were added, with one post per burst.
//
// A StepFinished added while its step's StepStarted still waits here (with
// no progress of that step behind it) replaces it: the StepStarted is dropped
// and the StepFinished, which carries how the job started, joins the end of
// the list. A short job on a busy worker costs the broker and the conductor
// one event instead of two, and the conductor still records both transitions.
class EventOutbox {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Publish = std::function<void(v1::Envelope&)>;

  EventOutbox(Post post, Publish publish) : post_(std::move(post)), publish_(std::move(publish)) {}

  void add(v1::Envelope event);

  // StepStarted events that a StepFinished took the place of.
  uint64_t folded() const { return folded_.load(std::memory_order_relaxed); }

 private:
  void drain();
  // Removes the step's StepStarted when it still waits with nothing of the
  // step behind it that must stay after it; true when it did.
  bool drop_waiting_start_locked(const v1::StepRef& step);

  Post post_;
  Publish publish_;
  std::mutex mu_;
  std::vector<v1::Envelope> waiting_;
  std::vector<v1::Envelope> draining_;  // strand only: swapped with waiting_
  std::atomic<uint64_t> folded_{0};
};

}  // namespace baton::worker
