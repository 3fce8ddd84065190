#pragma once

#include <chrono>
#include <optional>

#include "common/core/clock.hpp"

namespace baton::conductor {

// Whether the conductor could have heard its workers, asked once per sweep
// round. A worker's silence only means something while the conductor was
// listening: with the broker link down, or with the core thread stalled (a
// long commit or checkpoint, the whole process descheduled), heartbeats wait
// in the queue, and judging then calls live workers offline and requeues
// the cases they are still running. After an outage the workers need their
// own reconnect too, so silence counts from the link's return plus the
// reconnect back-off they share with the conductor.
class Hearing {
 public:
  struct Verdict {
    // Silence may be judged this round (worker offline sweep, job heartbeats).
    bool judge = false;
    // Silence before this does not count: the link has just come back (the
    // workers' reconnect allowance is included, so it may lie ahead).
    std::optional<TimePoint> excuse_until;
    // The round ran this late, past the stall limit (for the log).
    std::optional<std::chrono::milliseconds> stalled;
  };

  // What the round sees when it runs.
  struct Moment {
    bool linked = false;      // the broker link is up now
    uint64_t reconnects = 0;  // the transport's reconnect count, so an outage between rounds is not missed
    std::chrono::steady_clock::duration late{};  // how long after its due time this round runs
    bool behind = false;      // deliveries received are waiting to be applied
    TimePoint now{};          // the clock silence is counted on
  };

  // A round that runs more than `stall_limit` after it was due was held up.
  // It leaves the judging to a later round: the next one, or the one after
  // if that still finds received deliveries waiting to be applied. Only the
  // conductor's own inbox is seen, not heartbeats a stall left in the
  // broker's queue beyond the prefetch window (2000 by default). A core that
  // is late every round still judges every third one, so the workers that
  // really stopped are found.
  Hearing(std::chrono::milliseconds stall_limit, std::chrono::milliseconds rejoin_allowance)
      : stall_limit_(stall_limit), rejoin_allowance_(rejoin_allowance) {}

  Verdict round(const Moment& m);

  static constexpr unsigned kMostRoundsSkipped = 2;

 private:
  std::chrono::milliseconds stall_limit_;
  std::chrono::milliseconds rejoin_allowance_;
  uint64_t reconnects_ = 0;
  bool deaf_ = true;      // not linked yet at start
  unsigned skipped_ = 0;  // rounds in a row that left the judging to a later one
};

}  // namespace baton::conductor
