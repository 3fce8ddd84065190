#include "conductor/core/hearing.hpp"

namespace baton::conductor {

Hearing::Verdict Hearing::round(const Moment& m) {
  Verdict v;
  if (m.reconnects != reconnects_) {
    reconnects_ = m.reconnects;
    deaf_ = true;  // the link dropped since the last round, maybe only briefly
  }
  if (!m.linked) {
    deaf_ = true;
    // The outage's excuse below covers what was held up with it.
    skipped_ = kMostRoundsSkipped;
    return v;
  }
  if (deaf_) {
    // Every worker gets a whole deadline to be heard again, from when it can
    // have reconnected itself.
    deaf_ = false;
    v.excuse_until = m.now + rejoin_allowance_;
  }
  const bool stalled = m.late > stall_limit_;
  if (stalled) v.stalled = std::chrono::duration_cast<std::chrono::milliseconds>(m.late);
  const bool catching_up = stalled || (skipped_ > 0 && m.behind);
  if (catching_up && skipped_ < kMostRoundsSkipped) {
    ++skipped_;
    return v;
  }
  skipped_ = 0;
  v.judge = true;
  return v;
}

}  // namespace baton::conductor
