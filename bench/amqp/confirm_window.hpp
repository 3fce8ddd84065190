#pragma once

#include <poll.h>
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
    amqp_connection_state_t conn = conn_.get();
    // rabbitmq-c's own wait rounds the time left down to whole milliseconds
    // for poll(), so it spins through the last one with timeout 0: that made
    // the load generator burn a core. Wait in poll() here, then only look.
    if (timeout_us > 0 && !amqp_frames_enqueued(conn) && !amqp_data_in_buffer(conn)) {
      pollfd p{amqp_get_sockfd(conn), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>((timeout_us + 999) / 1000)) == 0) return false;
    }
    amqp_frame_t frame;
    timeval tv{0, 0};
    const int rc = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
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
    const double deadline = epoch_seconds() + 30;
    while (outstanding() > limit) {
      if (epoch_seconds() > deadline) die("no publisher confirm for 30 s");
      pump(100'000);
    }
  }

 private:
  BenchConnection& conn_;
  amqp::ConfirmTracker<char> tracker_;
  uint64_t confirmed_ = 0;
};

}  // namespace baton::bench
