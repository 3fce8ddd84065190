#include "common/amqp/rabbit_publisher.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace baton::amqp {

namespace {
// Unconfirmed messages allowed on the wire at once: bounds memory and the
// amount re-sent after a reconnect, and is far above what one link needs to
// keep the broker busy.
constexpr size_t kMaxInFlight = 4096;

amqp_bytes_t as_bytes(const std::string& s) { return amqp_bytes_t{s.size(), const_cast<char*>(s.data())}; }
}  // namespace

RabbitPublisher::RabbitPublisher(BrokerSettings settings, Topology topology, TransportStats& stats,
                                 size_t max_buffered)
    : RabbitLoop("publish", std::move(settings), std::move(topology), stats), max_buffered_(max_buffered) {}

void RabbitPublisher::publish(OutgoingMessage message, PublishCallback done) {
  requests_.push(PendingPublish{std::move(message), std::move(done), {}});
}

Status RabbitPublisher::on_connected() {
  amqp_confirm_select(conn_.state(), RabbitConnection::kChannel);
  return conn_.check_rpc("confirm.select");
}

void RabbitPublisher::on_disconnected() { requeue_outstanding(); }

void RabbitPublisher::requeue_outstanding() {
  auto left = tracker_.reset();
  returned_ids_.clear();
  stats_.republished.fetch_add(left.size());
  for (auto it = left.rbegin(); it != left.rend(); ++it) unsent_.push_front(std::move(*it));
}

Status RabbitPublisher::send(PendingPublish& p) {
  const OutgoingMessage& m = p.message;
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
  props.delivery_mode = m.persistent ? AMQP_DELIVERY_PERSISTENT : AMQP_DELIVERY_NONPERSISTENT;
  props.timestamp = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
  const auto set = [&props](amqp_flags_t flag, amqp_bytes_t& field, const std::string& value) {
    if (value.empty()) return;
    props._flags |= flag;
    field = as_bytes(value);
  };
  set(AMQP_BASIC_CONTENT_TYPE_FLAG, props.content_type, m.content_type);
  set(AMQP_BASIC_TYPE_FLAG, props.type, m.type);
  set(AMQP_BASIC_MESSAGE_ID_FLAG, props.message_id, m.message_id);
  set(AMQP_BASIC_CORRELATION_ID_FLAG, props.correlation_id, m.correlation_id);
  set(AMQP_BASIC_REPLY_TO_FLAG, props.reply_to, m.reply_to);
  const std::string expiration = m.expiration ? std::to_string(m.expiration->count()) : std::string();
  set(AMQP_BASIC_EXPIRATION_FLAG, props.expiration, expiration);

  std::vector<amqp_table_entry_t> headers;
  headers.reserve(m.headers.size());
  for (const auto& [key, value] : m.headers) {
    amqp_table_entry_t e;
    e.key = as_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = as_bytes(value);
    headers.push_back(e);
  }
  if (!headers.empty()) {
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    props.headers = amqp_table_t{static_cast<int>(headers.size()), headers.data()};
  }

  const int rc = amqp_basic_publish(conn_.state(), RabbitConnection::kChannel, as_bytes(m.exchange),
                                    as_bytes(m.routing_key), m.mandatory ? 1 : 0, 0, &props, as_bytes(m.body));
  if (rc != AMQP_STATUS_OK) return make_error(Errc::broker, "publish to " + m.exchange + ": " + describe_status(rc));
  return {};
}

Status RabbitPublisher::drain_requests() {
  for (auto& p : requests_.take_all()) {
    if (unsent_.size() + tracker_.size() >= max_buffered_) {
      stats_.abandoned.fetch_add(1);
      log_->error("publish buffer full ({} messages): dropping {} to {}", max_buffered_, p.message.type,
                  p.message.exchange);
      if (p.done) p.done(PublishOutcome::abandoned);
      continue;
    }
    unsent_.push_back(std::move(p));
  }
  while (!unsent_.empty() && tracker_.size() < kMaxInFlight) {
    PendingPublish& front = unsent_.front();
    if (auto st = send(front); !st) return st;
    front.sent_at = std::chrono::steady_clock::now();
    stats_.published.fetch_add(1);
    tracker_.track(std::move(front));
    unsent_.pop_front();
  }
  return {};
}

void RabbitPublisher::settle(uint64_t tag, bool multiple, PublishOutcome outcome) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& p : tracker_.settle(tag, multiple)) {
    PublishOutcome result = outcome;
    if (outcome == PublishOutcome::confirmed && !returned_ids_.empty() &&
        returned_ids_.erase(p.message.message_id) > 0)
      result = PublishOutcome::returned;
    switch (result) {
      case PublishOutcome::confirmed: {
        stats_.confirmed.fetch_add(1);
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - p.sent_at).count();
        stats_.confirm_latency_us_sum.fetch_add(static_cast<uint64_t>(us));
        stats_.confirm_latency_count.fetch_add(1);
        if (stats_.confirm_latency_observer) stats_.confirm_latency_observer(std::chrono::microseconds(us));
        break;
      }
      case PublishOutcome::nacked: stats_.nacked.fetch_add(1); break;
      case PublishOutcome::returned: stats_.returned.fetch_add(1); break;
      case PublishOutcome::abandoned: stats_.abandoned.fetch_add(1); break;
    }
    if (p.done) p.done(result);
  }
}

Status RabbitPublisher::handle_frame(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return {};
  switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      settle(ack->delivery_tag, ack->multiple, PublishOutcome::confirmed);
      return {};
    }
    case AMQP_BASIC_NACK_METHOD: {
      auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
      settle(nack->delivery_tag, nack->multiple, PublishOutcome::nacked);
      return {};
    }
    case AMQP_BASIC_RETURN_METHOD: {
      // A mandatory message no queue took; its basic.ack follows, and the
      // return carries no sequence number, so match it by message id.
      auto* ret = static_cast<amqp_basic_return_t*>(frame.payload.method.decoded);
      const std::string why(static_cast<const char*>(ret->reply_text.bytes), ret->reply_text.len);
      auto content = conn_.read_content(UINT64_MAX);
      if (!content) return content.error();
      log_->warn("broker returned {} ({}): {}", content->props.message_id, content->props.type, why);
      returned_ids_.insert(content->props.message_id);
      return {};
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD: return conn_.handle_server_close(frame);
    default: return {};
  }
}

bool RabbitPublisher::ready_to_stop() { return requests_.empty() && unsent_.empty() && tracker_.empty(); }

void RabbitPublisher::on_finished() {
  auto left = tracker_.reset();
  for (auto it = left.rbegin(); it != left.rend(); ++it) unsent_.push_front(std::move(*it));
  for (auto& p : requests_.take_all()) unsent_.push_back(std::move(p));
  if (!unsent_.empty()) log_->warn("stopping with {} unconfirmed messages", unsent_.size());
  for (auto& p : unsent_) {
    stats_.abandoned.fetch_add(1);
    if (p.done) p.done(PublishOutcome::abandoned);
  }
  unsent_.clear();
}

}  // namespace baton::amqp
