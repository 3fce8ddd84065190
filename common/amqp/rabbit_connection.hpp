#pragma once

#include <amqp.h>

#include <chrono>
#include <optional>
#include <string>

#include "common/amqp/broker_settings.hpp"
#include "common/amqp/transport.hpp"
#include "common/core/result.hpp"

namespace baton::amqp {

// A message body with its properties, copied out of rabbitmq-c's pools.
struct Content {
  OutgoingMessage props;  // exchange/routing_key unset; the properties only
  std::string body;
  uint64_t body_size = 0;
  bool oversized = false;
};

// One rabbitmq-c connection with channel 1 open. Not thread-safe: it belongs
// to exactly one I/O thread (rabbitmq-c connections may not be shared).
class RabbitConnection {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  RabbitConnection() = default;
  ~RabbitConnection() { abandon(); }
  RabbitConnection(const RabbitConnection&) = delete;
  RabbitConnection& operator=(const RabbitConnection&) = delete;

  // Connects, logs in, opens the channel and declares the topology.
  Status open(const BrokerSettings& settings, const Topology& topology, const std::string& role);
  // Polite close (channel.close, connection.close) when still healthy.
  void close();
  // Drops the socket without a handshake, after an error.
  void abandon();
  bool is_open() const { return conn_ != nullptr; }

  amqp_connection_state_t state() { return conn_; }
  int fd() const;
  // True when rabbitmq-c already holds bytes or frames we have not seen, so
  // poll() on the socket would wrongly block.
  bool has_buffered_input() const;

  // Waits up to `timeout` (zero: just look) for one frame. Heartbeats are
  // sent and checked inside. nullopt on timeout; an error on a broken link.
  Result<std::optional<amqp_frame_t>> next_frame(std::chrono::milliseconds timeout);

  // Reads the header and body frames that follow basic.deliver/basic.return.
  // Bodies over max_bytes are read and thrown away, and flagged.
  Result<Content> read_content(uint64_t max_bytes);

  Status check_rpc(const char* context);
  // Answers a server-initiated channel/connection close and reports why.
  Error handle_server_close(const amqp_frame_t& frame);

 private:
  Status declare(const Topology& topology);

  amqp_connection_state_t conn_ = nullptr;
};

std::string describe_status(int amqp_status);
std::string describe_reply(const amqp_rpc_reply_t& reply);

}  // namespace baton::amqp
