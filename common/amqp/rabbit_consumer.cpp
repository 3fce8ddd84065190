#include "common/amqp/rabbit_consumer.hpp"

#include <spdlog/spdlog.h>

namespace baton::amqp {

RabbitConsumer::RabbitConsumer(BrokerSettings settings, Topology topology, TransportStats& stats,
                               std::vector<std::string> queues, DeliveryHandler handler)
    : RabbitLoop("consume", std::move(settings), std::move(topology), stats),
      queues_(std::move(queues)),
      handler_(std::move(handler)) {}

Status RabbitConsumer::on_connected() {
  amqp_basic_qos(conn_.state(), RabbitConnection::kChannel, 0, settings_.prefetch, 0);
  if (auto st = conn_.check_rpc("basic.qos"); !st) return st;
  queue_by_tag_.clear();
  for (const auto& queue : queues_) {
    auto* ok = amqp_basic_consume(conn_.state(), RabbitConnection::kChannel, amqp_cstring_bytes(queue.c_str()),
                                  amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    if (auto st = conn_.check_rpc(("consume from " + queue).c_str()); !st) return st;
    queue_by_tag_[std::string(static_cast<const char*>(ok->consumer_tag.bytes), ok->consumer_tag.len)] = queue;
  }
  return {};
}

Status RabbitConsumer::drain_requests() {
  // Take the requests even when stopping, so acks queued before stop() go out.
  for (const Settlement& s : requests_.take_all()) {
    if (s.ref.generation != generation()) {
      stats_.stale_settlements_dropped.fetch_add(1);
      continue;
    }
    int rc;
    if (s.kind == Settlement::Kind::ack) {
      rc = amqp_basic_ack(conn_.state(), RabbitConnection::kChannel, s.ref.delivery_tag, s.flag ? 1 : 0);
      if (rc == AMQP_STATUS_OK) stats_.acked.fetch_add(1);
    } else {
      rc = amqp_basic_reject(conn_.state(), RabbitConnection::kChannel, s.ref.delivery_tag, s.flag ? 1 : 0);
    }
    if (rc != AMQP_STATUS_OK) return make_error(Errc::broker, "settle delivery: " + describe_status(rc));
  }
  return {};
}

Status RabbitConsumer::handle_frame(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return {};
  switch (frame.payload.method.id) {
    case AMQP_BASIC_DELIVER_METHOD: {
      auto* d = static_cast<amqp_basic_deliver_t*>(frame.payload.method.decoded);
      Delivery delivery;
      delivery.delivery_tag = d->delivery_tag;
      delivery.redelivered = d->redelivered != 0;
      delivery.exchange.assign(static_cast<const char*>(d->exchange.bytes), d->exchange.len);
      delivery.routing_key.assign(static_cast<const char*>(d->routing_key.bytes), d->routing_key.len);
      const std::string tag(static_cast<const char*>(d->consumer_tag.bytes), d->consumer_tag.len);
      auto content = conn_.read_content(settings_.max_message_bytes);
      if (!content) return content.error();
      delivery.generation = generation();
      delivery.queue = queue_by_tag_[tag];
      delivery.body = std::move(content->body);
      delivery.body_size = content->body_size;
      delivery.oversized = content->oversized;
      delivery.content_type = std::move(content->props.content_type);
      delivery.type = std::move(content->props.type);
      delivery.message_id = std::move(content->props.message_id);
      delivery.correlation_id = std::move(content->props.correlation_id);
      delivery.reply_to = std::move(content->props.reply_to);
      delivery.headers = std::move(content->props.headers);
      stats_.delivered.fetch_add(1);
      if (!paused_.load()) handler_(std::move(delivery));
      return {};
    }
    case AMQP_BASIC_CANCEL_METHOD:
      return make_error(Errc::broker, "broker cancelled a consumer (queue deleted?)");
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD: return conn_.handle_server_close(frame);
    default: return {};
  }
}

}  // namespace baton::amqp
