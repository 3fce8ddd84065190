#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace baton::amqp {

// What the core sees of the broker. No amqp_* types cross this line: the core
// and its unit tests work against FakeTransport, RabbitTransport is tested once,
// for real, against a private broker.

using Headers = std::map<std::string, std::string>;

struct OutgoingMessage {
  std::string exchange;
  std::string routing_key;
  std::string body;
  std::string content_type = "application/x-protobuf";
  std::string type;  // the envelope's body case, shown in the management UI
  std::string message_id;
  std::string correlation_id;
  std::string reply_to;
  Headers headers;
  std::optional<std::chrono::milliseconds> expiration;  // per-message TTL
  bool persistent = true;
  // Baton gets what this message says again without the broker if it is
  // lost: a later heartbeat, the reconcile after a worker registers, the
  // next scheduled check. With broker.persistent_messages off only such
  // messages are published non-persistent.
  bool recoverable = false;
  // Ask the broker to return the message when no queue is bound for it.
  bool mandatory = false;
};

struct Delivery {
  uint64_t delivery_tag = 0;
  // Which connection this tag belongs to: tags are only valid on the
  // connection that delivered them, so acks for an older generation are dropped.
  uint64_t generation = 0;
  std::string queue;
  std::string exchange;
  std::string routing_key;
  std::string body;
  std::string content_type;
  std::string type;
  std::string message_id;
  std::string correlation_id;
  std::string reply_to;
  Headers headers;
  bool redelivered = false;
  // Set when the body was larger than the configured maximum; the body is then empty.
  bool oversized = false;
  uint64_t body_size = 0;
};

struct DeliveryRef {
  uint64_t delivery_tag = 0;
  uint64_t generation = 0;
};
inline DeliveryRef ref(const Delivery& d) { return {d.delivery_tag, d.generation}; }

enum class PublishOutcome {
  confirmed,  // the broker has taken responsibility (basic.ack)
  nacked,     // the broker refused it (basic.nack)
  returned,   // mandatory and unroutable
  abandoned,  // transport stopped before the broker confirmed
};
const char* to_string(PublishOutcome outcome);

using PublishCallback = std::function<void(PublishOutcome)>;
using DeliveryHandler = std::function<void(Delivery)>;
using ConnectionListener = std::function<void(bool connected)>;

// Declared on every (re)connect, so a broker that lost its definitions gets them back.
struct ExchangeSpec {
  std::string name;
  std::string type = "topic";
};
struct QueueSpec {
  std::string name;
  std::optional<std::string> dead_letter_exchange;
  std::optional<std::chrono::milliseconds> message_ttl;
  std::optional<int64_t> max_length;
};
struct BindingSpec {
  std::string queue;
  std::string exchange;
  std::string routing_key;
};
struct Topology {
  std::vector<ExchangeSpec> exchanges;
  std::vector<QueueSpec> queues;
  std::vector<BindingSpec> bindings;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Thread-safe. The callback runs on the transport's I/O thread exactly once;
  // it must not block. Messages not yet confirmed when the connection drops are
  // published again after the reconnect (at-least-once: receivers dedupe on
  // message_id).
  virtual void publish(OutgoingMessage message, PublishCallback done) = 0;

  // Thread-safe. Settles a delivery; refs from an older connection are dropped,
  // because the broker has already requeued those messages.
  virtual void ack(DeliveryRef delivery, bool multiple = false) = 0;

  // Publishes a copy to the dead-letter exchange with the reason in the
  // x-baton-reason header and acks the original once that copy is confirmed,
  // so nothing is lost between the two. `settled` runs (on an I/O thread) once
  // the original's ack or reject has been queued, or the attempt was given up.
  virtual void dead_letter(const Delivery& delivery, std::string reason, std::function<void()> settled = {}) = 0;

  // Thread-safe. basic.reject: with requeue=false the queue's own dead-letter
  // exchange receives the message unchanged (used for oversized bodies, which
  // the transport does not keep in memory).
  virtual void reject(DeliveryRef delivery, bool requeue) = 0;

  virtual bool connected() const = 0;
};

}  // namespace baton::amqp
