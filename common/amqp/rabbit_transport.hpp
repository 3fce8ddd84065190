#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/amqp/broker_settings.hpp"
#include "common/amqp/transport.hpp"
#include "common/amqp/transport_stats.hpp"

namespace baton::amqp {

class RabbitPublisher;
class RabbitConsumer;

struct RabbitTransportOptions {
  BrokerSettings broker;
  Topology topology;
  // Empty: publish only.
  std::string consume_queue;
  // More queues on the same consuming channel (the conductor's intake).
  std::vector<std::string> also_consume;
  std::string dead_letter_exchange = "baton.dlx";
  // Messages held while the broker is away; past this, publishes fail fast.
  size_t max_buffered_publishes = 100'000;
};

// Transport over rabbitmq-c: one connection for publishing and one for
// consuming, each owned by its own I/O thread (DESIGN.md, Threading).
class RabbitTransport final : public Transport {
 public:
  RabbitTransport(RabbitTransportOptions options, DeliveryHandler on_delivery = {});
  ~RabbitTransport() override;

  // Called from the I/O threads when either connection goes up or down.
  void set_connection_listener(ConnectionListener listener);
  void start();
  // Stop handing out deliveries (first step of a graceful shutdown).
  void pause_consuming();
  // Sends queued acks, waits up to `drain` for outstanding confirms, closes.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

  void publish(OutgoingMessage message, PublishCallback done) override;
  void ack(DeliveryRef delivery, bool multiple = false) override;
  void reject(DeliveryRef delivery, bool requeue) override;
  void dead_letter(const Delivery& delivery, std::string reason, std::function<void()> settled = {}) override;
  bool connected() const override;

  const TransportStats& stats() const { return *stats_; }
  // Before start() only.
  void set_confirm_latency_observer(std::function<void(std::chrono::microseconds)> observer) {
    stats_->confirm_latency_observer = std::move(observer);
  }

 private:
  RabbitTransportOptions options_;
  std::unique_ptr<TransportStats> stats_;
  std::unique_ptr<RabbitPublisher> publisher_;
  std::unique_ptr<RabbitConsumer> consumer_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace baton::amqp
