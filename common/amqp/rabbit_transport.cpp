#include "common/amqp/rabbit_transport.hpp"

#include "common/amqp/rabbit_consumer.hpp"
#include "common/amqp/rabbit_publisher.hpp"

namespace baton::amqp {

const char* to_string(PublishOutcome outcome) {
  switch (outcome) {
    case PublishOutcome::confirmed: return "confirmed";
    case PublishOutcome::nacked: return "nacked";
    case PublishOutcome::returned: return "returned";
    case PublishOutcome::abandoned: return "abandoned";
  }
  return "unknown";
}

RabbitTransport::RabbitTransport(RabbitTransportOptions options, DeliveryHandler on_delivery)
    : options_(std::move(options)), stats_(std::make_unique<TransportStats>()) {
  publisher_ = std::make_unique<RabbitPublisher>(options_.broker, options_.topology, *stats_,
                                                 options_.max_buffered_publishes);
  if (!options_.consume_queue.empty()) {
    std::vector<std::string> queues{options_.consume_queue};
    queues.insert(queues.end(), options_.also_consume.begin(), options_.also_consume.end());
    consumer_ = std::make_unique<RabbitConsumer>(options_.broker, options_.topology, *stats_, std::move(queues),
                                                 std::move(on_delivery));
  }
}

RabbitTransport::~RabbitTransport() { stop(std::chrono::milliseconds(0)); }

void RabbitTransport::set_connection_listener(ConnectionListener listener) {
  publisher_->set_connection_listener(listener);
  if (consumer_) consumer_->set_connection_listener(listener);
}

void RabbitTransport::start() {
  if (started_) return;
  started_ = true;
  publisher_->start();
  if (consumer_) consumer_->start();
}

void RabbitTransport::pause_consuming() {
  if (consumer_) consumer_->pause();
}

void RabbitTransport::stop(std::chrono::milliseconds drain) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  // Publisher first: confirms of dead-lettered copies still turn into acks,
  // which the consumer then sends before it closes.
  const auto deadline = std::chrono::steady_clock::now() + drain;
  publisher_->request_stop(deadline);
  publisher_->join();
  if (consumer_) {
    consumer_->request_stop(deadline + std::chrono::seconds(1));
    consumer_->join();
  }
}

void RabbitTransport::publish(OutgoingMessage message, PublishCallback done) {
  if (!options_.broker.persistent_messages && message.recoverable) message.persistent = false;
  publisher_->publish(std::move(message), std::move(done));
}

void RabbitTransport::ack(DeliveryRef delivery, bool multiple) {
  if (consumer_) consumer_->settle({Settlement::Kind::ack, delivery, multiple});
}

void RabbitTransport::reject(DeliveryRef delivery, bool requeue) {
  if (consumer_) consumer_->settle({Settlement::Kind::reject, delivery, requeue});
}

void RabbitTransport::dead_letter(const Delivery& delivery, std::string reason, std::function<void()> settled) {
  OutgoingMessage copy;
  copy.exchange = options_.dead_letter_exchange;
  copy.routing_key = delivery.routing_key;
  copy.body = delivery.body;
  copy.content_type = delivery.content_type;
  copy.type = delivery.type;
  copy.message_id = delivery.message_id;
  copy.correlation_id = delivery.correlation_id;
  copy.reply_to = delivery.reply_to;
  copy.headers = delivery.headers;
  copy.headers["x-baton-reason"] = std::move(reason);
  copy.headers["x-baton-original-queue"] = delivery.queue;
  copy.headers["x-baton-original-exchange"] = delivery.exchange;
  copy.headers["x-baton-original-routing-key"] = delivery.routing_key;
  const DeliveryRef original = ref(delivery);
  stats_->dead_lettered.fetch_add(1);
  publish(std::move(copy), [this, original, settled = std::move(settled)](PublishOutcome outcome) {
    if (outcome == PublishOutcome::confirmed) {
      ack(original);
    } else if (outcome != PublishOutcome::abandoned) {
      // The copy did not make it: let the queue's own dead-letter exchange
      // take the original instead of losing it.
      reject(original, false);
    }
    // Abandoned: we are stopping; the unacked original is redelivered later.
    if (settled) settled();
  });
}

bool RabbitTransport::connected() const {
  return publisher_->connected() && (!consumer_ || consumer_->connected());
}

}  // namespace baton::amqp
