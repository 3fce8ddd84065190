#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "common/amqp/rabbit_loop.hpp"
#include "common/amqp/wake_queue.hpp"

namespace baton::amqp {

struct Settlement {
  enum class Kind { ack, reject };
  Kind kind;
  DeliveryRef ref;
  bool flag;  // ack: multiple; reject: requeue
};

// The consuming connection: QoS prefetch, manual acks, and deliveries handed
// to the handler on this thread. Delivery tags carry the connection's
// generation so a settlement meant for a dead connection is never sent on a new
// one (the broker would close the channel over an unknown tag).
class RabbitConsumer final : public RabbitLoop {
 public:
  RabbitConsumer(BrokerSettings settings, Topology topology, TransportStats& stats,
                 std::vector<std::string> queues, DeliveryHandler handler);
  void settle(Settlement s) { requests_.push(s); }
  // Deliveries that arrive afterwards are left unacked; the broker requeues
  // them when the connection closes.
  void pause() { paused_.store(true); }

 protected:
  Status on_connected() override;
  void on_disconnected() override {}
  Status drain_requests() override;
  Status handle_frame(const amqp_frame_t& frame) override;
  bool ready_to_stop() override { return requests_.empty(); }
  void on_finished() override {}
  int request_fd() const override { return requests_.fd(); }

 private:
  mutable WakeQueue<Settlement> requests_;
  const std::vector<std::string> queues_;
  // basic.deliver names the consumer tag, not the queue.
  std::map<std::string, std::string> queue_by_tag_;
  DeliveryHandler handler_;
  std::atomic<bool> paused_{false};
};

}  // namespace baton::amqp
