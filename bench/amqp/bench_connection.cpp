#include "bench/amqp/bench_connection.hpp"

#include <amqp_tcp_socket.h>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "common/amqp/broker_settings.hpp"
#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"

namespace baton::bench {

void die(const std::string& message) {
  std::cerr << "baton-bench-amqp: " << message << std::endl;
  std::exit(1);
}

double epoch_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  const size_t i = std::min(xs.size() - 1, static_cast<size_t>(p * static_cast<double>(xs.size())));
  return xs[i];
}

Args::Args(int argc, char** argv) {
  for (int i = 0; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) die("expected --key value, got " + key);
    values_[key.substr(2)] = argv[i + 1];
  }
  if (argc % 2 != 0) die(std::string("missing value after ") + argv[argc - 1]);
}

std::string Args::str(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) die("--" + key + " is required");
  return it->second;
}

uint64_t Args::num(const std::string& key, uint64_t fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : std::strtoull(it->second.c_str(), nullptr, 10);
}

namespace {

std::string describe(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return "channel closed: " + std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
      }
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return "connection closed: " + std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
      }
      return "server exception";
  }
  return "unknown reply";
}

}  // namespace

BenchConnection::BenchConnection(const std::string& url, const std::string& name) {
  auto settings = amqp::apply_amqp_url(amqp::BrokerSettings{}, url);
  if (!settings) die("bad broker URL: " + settings.error().message);
  conn_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  if (!socket) die("cannot create a socket");
  if (int rc = amqp_socket_open(socket, settings->host.c_str(), settings->port); rc != AMQP_STATUS_OK)
    die("connect: " + std::string(amqp_error_string2(rc)));
  amqp_table_entry_t entry;
  entry.key = amqp_cstring_bytes("connection_name");
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = amqp_cstring_bytes(name.c_str());
  amqp_table_t props{1, &entry};
  auto login = amqp_login_with_properties(conn_, settings->vhost.c_str(), 0, 131072, 0, &props,
                                          AMQP_SASL_METHOD_PLAIN, settings->user.c_str(), settings->password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) die("login: " + describe(login));
  amqp_channel_open(conn_, kChannel);
  check_rpc("channel.open");
}

BenchConnection::~BenchConnection() {
  if (!conn_) return;
  amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
}

void BenchConnection::check_rpc(const std::string& what) {
  auto reply = amqp_get_rpc_reply(conn_);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) die(what + ": " + describe(reply));
}

void BenchConnection::declare_conductor_inbox() {
  for (const char* ex : {amqp::kEventsExchange, amqp::kDeadLetterExchange}) {
    amqp_exchange_declare(conn_, kChannel, amqp_cstring_bytes(ex), amqp_cstring_bytes("topic"), 0, 1, 0, 0,
                          amqp_empty_table);
    check_rpc(std::string("declare exchange ") + ex);
  }
  amqp_table_entry_t dlx;
  dlx.key = amqp_cstring_bytes("x-dead-letter-exchange");
  dlx.value.kind = AMQP_FIELD_KIND_UTF8;
  dlx.value.value.bytes = amqp_cstring_bytes(amqp::kDeadLetterExchange);
  amqp_table_t args{1, &dlx};
  amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(amqp::kConductorQueue), 0, 1, 0, 0, args);
  check_rpc("declare queue baton.conductor");
  amqp_queue_bind(conn_, kChannel, amqp_cstring_bytes(amqp::kConductorQueue), amqp_cstring_bytes(amqp::kEventsExchange),
                  amqp_cstring_bytes("event.#"), amqp_empty_table);
  check_rpc("bind baton.conductor");
}

void BenchConnection::declare_intake() {
  amqp_exchange_declare(conn_, kChannel, amqp_cstring_bytes(amqp::kDeadLetterExchange), amqp_cstring_bytes("topic"), 0,
                        1, 0, 0, amqp_empty_table);
  check_rpc("declare exchange baton.dlx");
  amqp_table_entry_t dlx;
  dlx.key = amqp_cstring_bytes("x-dead-letter-exchange");
  dlx.value.kind = AMQP_FIELD_KIND_UTF8;
  dlx.value.value.bytes = amqp_cstring_bytes(amqp::kDeadLetterExchange);
  amqp_table_t args{1, &dlx};
  amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(amqp::kIntakeQueue), 0, 1, 0, 0, args);
  check_rpc("declare queue baton.intake");
}

uint32_t BenchConnection::ready(const std::string& queue) {
  auto* ok = amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
  check_rpc("passive declare " + queue);
  return ok->message_count;
}

void BenchConnection::confirm_select() {
  amqp_confirm_select(conn_, kChannel);
  check_rpc("confirm.select");
}

namespace {

// What PublishBatch sends for an event: routing key, AMQP type and body, as
// worker/app.cpp names them (heartbeat and register, else the body's name).
struct EventMessage {
  std::string routing_key;
  std::string kind;
  std::string body;
};

EventMessage event_message(const v1::Envelope& envelope, const std::string& worker) {
  EventMessage m;
  m.kind = codec::body_name(envelope);
  const std::string route = m.kind == "worker_heartbeat" ? "heartbeat" : m.kind == "worker_register" ? "register" : m.kind;
  m.routing_key = amqp::event_routing_key(route, worker);
  m.body = codec::encode(envelope);
  return m;
}

amqp_basic_properties_t event_properties(const EventMessage& m, const v1::Envelope& envelope) {
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TYPE_FLAG |
                 AMQP_BASIC_MESSAGE_ID_FLAG;
  props.content_type = amqp_cstring_bytes("application/x-protobuf");
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  props.type = amqp_cstring_bytes(m.kind.c_str());
  props.message_id = amqp_cstring_bytes(envelope.message_id().c_str());
  return props;
}

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}
void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v >> 32));
  put32(out, static_cast<uint32_t>(v & 0xffffffff));
}

}  // namespace

void PublishBatch::frame(uint8_t type, const std::string& payload) {
  buffer_ += static_cast<char>(type);
  put16(buffer_, BenchConnection::kChannel);
  put32(buffer_, static_cast<uint32_t>(payload.size()));
  buffer_ += payload;
  buffer_ += static_cast<char>(AMQP_FRAME_END);
}

void PublishBatch::add(const v1::Envelope& envelope, const std::string& worker) {
  const EventMessage m = event_message(envelope, worker);
  amqp_basic_properties_t props = event_properties(m, envelope);
  char scratch[4096];

  amqp_basic_publish_t method{};
  method.exchange = amqp_cstring_bytes(amqp::kEventsExchange);
  method.routing_key = amqp_cstring_bytes(m.routing_key.c_str());
  std::string payload;
  put32(payload, AMQP_BASIC_PUBLISH_METHOD);
  int n = amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &method, amqp_bytes_t{sizeof scratch, scratch});
  if (n < 0) die("encoding basic.publish: " + std::string(amqp_error_string2(n)));
  payload.append(scratch, static_cast<size_t>(n));
  frame(AMQP_FRAME_METHOD, payload);

  payload.clear();
  put16(payload, AMQP_BASIC_CLASS);
  put16(payload, 0);  // weight
  put64(payload, m.body.size());
  n = amqp_encode_properties(AMQP_BASIC_CLASS, &props, amqp_bytes_t{sizeof scratch, scratch});
  if (n < 0) die("encoding properties: " + std::string(amqp_error_string2(n)));
  payload.append(scratch, static_cast<size_t>(n));
  frame(AMQP_FRAME_HEADER, payload);

  // Bench events are far below the negotiated frame_max (131072).
  frame(AMQP_FRAME_BODY, m.body);
  ++count_;
}

void PublishBatch::flush() {
  const int fd = amqp_get_sockfd(conn_.get());
  size_t off = 0;
  while (off < buffer_.size()) {
    const ssize_t n = ::send(fd, buffer_.data() + off, buffer_.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    } else {
      die("writing publishes: " + std::string(std::strerror(errno)));
    }
  }
  buffer_.clear();
  count_ = 0;
}

}  // namespace baton::bench
