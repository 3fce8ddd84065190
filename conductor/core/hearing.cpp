#include "conductor/core/hearing.hpp"

namespace baton::conductor {

Hearing::Verdict Hearing::round(bool linked, uint64_t reconnects, std::chrono::steady_clock::duration late,
                                TimePoint now) {
  Verdict v;
  if (reconnects != reconnects_) {
    reconnects_ = reconnects;
    deaf_ = true;  // the link dropped since the last round, maybe only briefly
  }
  if (!linked) {
    deaf_ = true;
    judged_last_ = false;
    return v;
  }
  if (deaf_) {
    // Every worker gets a whole deadline to be heard again, from when it can
    // have reconnected itself.
    deaf_ = false;
    v.excuse_until = now + rejoin_allowance_;
  }
  if (late > stall_limit_) {
    v.stalled = std::chrono::duration_cast<std::chrono::milliseconds>(late);
    // Only every other round: a core that is late all the time must still
    // find the workers that really stopped.
    if (judged_last_) {
      judged_last_ = false;
      return v;
    }
  }
  v.judge = true;
  judged_last_ = true;
  return v;
}

}  // namespace baton::conductor
