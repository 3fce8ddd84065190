#pragma once

#include <sys/time.h>

#include <cstdint>

#include "bench/amqp/bench_connection.hpp"
#include "common/amqp/confirm_tracker.hpp"

namespace baton::bench {

// Publisher confirms for the load tools: count publishes, read basic.ack
// frames (single or multiple) and settle them in Baton's own ConfirmTracker.
class ConfirmWindow {
 public:
  explicit ConfirmWindow(BenchConnection& conn) : conn_(conn) {}

  void published() { tracker_.track(0); }
  uint64_t outstanding() const { return tracker_.size(); }
  uint64_t confirmed() const { return confirmed_; }

  // Reads at most one frame, waiting up to `timeout_us` (0: only look).
  // Returns false on timeout.
  bool pump(long timeout_us) {
    amqp_frame_t frame;
    timeval tv{timeout_us / 1'000'000, timeout_us % 1'000'000};
    const int rc = amqp_simple_wait_frame_noblock(conn_.get(), &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) return false;
    if (rc != AMQP_STATUS_OK) die("waiting for confirms: " + std::string(amqp_error_string2(rc)));
    if (frame.frame_type == AMQP_FRAME_METHOD) {
      switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
          auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
          confirmed_ += tracker_.settle(ack->delivery_tag, ack->multiple != 0).size();
          break;
        }
        case AMQP_BASIC_NACK_METHOD: die("the broker nacked a publish");
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD: die("the broker closed the channel while publishing");
        default: break;
      }
    }
    amqp_maybe_release_buffers(conn_.get());
    return true;
  }

  // Blocks until at most `limit` publishes are unconfirmed.
  void wait_until_at_most(uint64_t limit) {
    while (outstanding() > limit)
      if (!pump(30'000'000)) die("no publisher confirm for 30 s");
  }

 private:
  BenchConnection& conn_;
  amqp::ConfirmTracker<char> tracker_;
  uint64_t confirmed_ = 0;
};

}  // namespace baton::bench
