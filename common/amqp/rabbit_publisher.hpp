#pragma once

#include <chrono>
#include <deque>
#include <unordered_set>

#include "common/amqp/confirm_tracker.hpp"
#include "common/amqp/rabbit_loop.hpp"
#include "common/amqp/wake_queue.hpp"

namespace baton::amqp {

struct PendingPublish {
  OutgoingMessage message;
  PublishCallback done;
  std::chrono::steady_clock::time_point sent_at{};
};

// The publishing connection: confirm mode, every message tracked until the
// broker acks or nacks it, and whatever was unconfirmed when the link dropped
// is published again, in order, on the next connection.
class RabbitPublisher final : public RabbitLoop {
 public:
  RabbitPublisher(BrokerSettings settings, Topology topology, TransportStats& stats, size_t max_buffered);
  void publish(OutgoingMessage message, PublishCallback done);

 protected:
  Status on_connected() override;
  void on_disconnected() override;
  Status drain_requests() override;
  Status handle_frame(const amqp_frame_t& frame) override;
  bool ready_to_stop() override;
  void on_finished() override;
  int request_fd() const override { return requests_.fd(); }

 private:
  Status send(PendingPublish& pending);
  void settle(uint64_t tag, bool multiple, PublishOutcome outcome);
  void requeue_outstanding();

  WakeQueue<PendingPublish> requests_;
  std::deque<PendingPublish> unsent_;
  ConfirmTracker<PendingPublish> tracker_;
  std::unordered_set<std::string> returned_ids_;
  const size_t max_buffered_;
};

}  // namespace baton::amqp
