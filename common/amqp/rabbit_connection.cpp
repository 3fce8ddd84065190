#include "common/amqp/rabbit_connection.hpp"

#include <amqp_tcp_socket.h>

#include <cstring>
#include <vector>

namespace baton::amqp {

namespace {

constexpr int kFrameMax = 131072;
constexpr std::chrono::seconds kConnectTimeout{5};
constexpr std::chrono::seconds kRpcTimeout{10};
// The body frames of one message arrive right behind its header.
constexpr std::chrono::seconds kContentTimeout{30};

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string bytes_to_string(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

std::string field_to_string(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: return bytes_to_string(v.value.bytes);
    case AMQP_FIELD_KIND_BOOLEAN: return v.value.boolean ? "true" : "false";
    case AMQP_FIELD_KIND_I8: return std::to_string(v.value.i8);
    case AMQP_FIELD_KIND_U8: return std::to_string(v.value.u8);
    case AMQP_FIELD_KIND_I16: return std::to_string(v.value.i16);
    case AMQP_FIELD_KIND_U16: return std::to_string(v.value.u16);
    case AMQP_FIELD_KIND_I32: return std::to_string(v.value.i32);
    case AMQP_FIELD_KIND_U32: return std::to_string(v.value.u32);
    case AMQP_FIELD_KIND_I64: return std::to_string(v.value.i64);
    case AMQP_FIELD_KIND_U64: return std::to_string(v.value.u64);
    case AMQP_FIELD_KIND_TIMESTAMP: return std::to_string(v.value.u64);
    default: return {};  // nested tables/arrays (x-death) are not needed as strings
  }
}

OutgoingMessage copy_properties(const amqp_basic_properties_t& p) {
  OutgoingMessage m;
  m.content_type.clear();
  if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) m.content_type = bytes_to_string(p.content_type);
  if (p._flags & AMQP_BASIC_TYPE_FLAG) m.type = bytes_to_string(p.type);
  if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) m.message_id = bytes_to_string(p.message_id);
  if (p._flags & AMQP_BASIC_CORRELATION_ID_FLAG) m.correlation_id = bytes_to_string(p.correlation_id);
  if (p._flags & AMQP_BASIC_REPLY_TO_FLAG) m.reply_to = bytes_to_string(p.reply_to);
  if (p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) m.persistent = p.delivery_mode == AMQP_DELIVERY_PERSISTENT;
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const auto& e = p.headers.entries[i];
      m.headers[bytes_to_string(e.key)] = field_to_string(e.value);
    }
  }
  return m;
}

amqp_table_entry_t string_entry(const char* key, const std::string& value) {
  amqp_table_entry_t e;
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_UTF8;
  e.value.value.bytes = amqp_bytes_t{value.size(), const_cast<char*>(value.data())};
  return e;
}

}  // namespace

std::string describe_status(int status) { return amqp_error_string2(status); }

std::string describe_reply(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "no reply from broker";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return describe_status(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
        return "broker closed the connection: " + std::to_string(m->reply_code) + " " +
               bytes_to_string(m->reply_text);
      }
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
        return "broker closed the channel: " + std::to_string(m->reply_code) + " " +
               bytes_to_string(m->reply_text);
      }
      return "broker error (method " + std::to_string(reply.reply.id) + ")";
  }
  return "unknown reply";
}

Status RabbitConnection::check_rpc(const char* context) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn_);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
  return make_error(Errc::broker, std::string(context) + ": " + describe_reply(reply));
}

Status RabbitConnection::open(const BrokerSettings& s, const Topology& topology, const std::string& role) {
  abandon();
  conn_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  if (!socket) {
    abandon();
    return make_error(Errc::broker, "cannot create a socket");
  }
  timeval connect_timeout = to_timeval(kConnectTimeout);
  if (int rc = amqp_socket_open_noblock(socket, s.host.c_str(), s.port, &connect_timeout); rc != AMQP_STATUS_OK) {
    abandon();
    return make_error(Errc::unavailable, "connect to " + s.host + ":" + std::to_string(s.port) + ": " + describe_status(rc));
  }
  timeval rpc_timeout = to_timeval(kRpcTimeout);
  amqp_set_rpc_timeout(conn_, &rpc_timeout);

  const std::string name = s.connection_name + " (" + role + ")";
  amqp_table_entry_t props_entries[] = {string_entry("connection_name", name)};
  amqp_table_t props{1, props_entries};
  const amqp_rpc_reply_t login =
      amqp_login_with_properties(conn_, s.vhost.c_str(), 0, kFrameMax, static_cast<int>(s.heartbeat.count()),
                                 &props, AMQP_SASL_METHOD_PLAIN, s.user.c_str(), s.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    Error e = make_error(Errc::broker, "login as " + s.user + " to vhost " + s.vhost + ": " + describe_reply(login));
    abandon();
    return e;
  }
  amqp_channel_open(conn_, kChannel);
  if (auto st = check_rpc("open channel"); !st) {
    abandon();
    return st;
  }
  if (auto st = declare(topology); !st) {
    abandon();
    return st;
  }
  return {};
}

Status RabbitConnection::declare(const Topology& topology) {
  for (const auto& ex : topology.exchanges) {
    amqp_exchange_declare(conn_, kChannel, amqp_cstring_bytes(ex.name.c_str()), amqp_cstring_bytes(ex.type.c_str()),
                          0, 1, 0, 0, amqp_empty_table);
    if (auto st = check_rpc(("declare exchange " + ex.name).c_str()); !st) return st;
  }
  for (const auto& q : topology.queues) {
    std::vector<amqp_table_entry_t> args;
    if (q.dead_letter_exchange) args.push_back(string_entry("x-dead-letter-exchange", *q.dead_letter_exchange));
    if (q.message_ttl) {
      amqp_table_entry_t e;
      e.key = amqp_cstring_bytes("x-message-ttl");
      e.value.kind = AMQP_FIELD_KIND_I64;
      e.value.value.i64 = q.message_ttl->count();
      args.push_back(e);
    }
    if (q.max_length) {
      amqp_table_entry_t e;
      e.key = amqp_cstring_bytes("x-max-length");
      e.value.kind = AMQP_FIELD_KIND_I64;
      e.value.value.i64 = *q.max_length;
      args.push_back(e);
    }
    amqp_table_t table{static_cast<int>(args.size()), args.data()};
    amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(q.name.c_str()), 0, 1, 0, 0, table);
    if (auto st = check_rpc(("declare queue " + q.name).c_str()); !st) return st;
  }
  for (const auto& b : topology.bindings) {
    amqp_queue_bind(conn_, kChannel, amqp_cstring_bytes(b.queue.c_str()), amqp_cstring_bytes(b.exchange.c_str()),
                    amqp_cstring_bytes(b.routing_key.c_str()), amqp_empty_table);
    if (auto st = check_rpc(("bind " + b.queue + " to " + b.exchange).c_str()); !st) return st;
  }
  return {};
}

void RabbitConnection::close() {
  if (!conn_) return;
  amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

void RabbitConnection::abandon() {
  if (!conn_) return;
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

int RabbitConnection::fd() const { return conn_ ? amqp_get_sockfd(conn_) : -1; }

bool RabbitConnection::has_buffered_input() const {
  return conn_ && (amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_));
}

Result<std::optional<amqp_frame_t>> RabbitConnection::next_frame(std::chrono::milliseconds timeout) {
  timeval tv = to_timeval(timeout);
  amqp_frame_t frame;
  const int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &tv);
  if (rc == AMQP_STATUS_OK) return std::optional<amqp_frame_t>(frame);
  if (rc == AMQP_STATUS_TIMEOUT) return std::optional<amqp_frame_t>();
  return make_error(Errc::broker, describe_status(rc));
}

Result<Content> RabbitConnection::read_content(uint64_t max_bytes) {
  auto header = next_frame(kContentTimeout);
  if (!header) return header.error();
  if (!*header || (*header)->frame_type != AMQP_FRAME_HEADER)
    return make_error(Errc::broker, "expected a content header frame");
  Content content;
  content.body_size = (*header)->payload.properties.body_size;
  content.props = copy_properties(*static_cast<amqp_basic_properties_t*>((*header)->payload.properties.decoded));
  content.oversized = content.body_size > max_bytes;
  if (!content.oversized) content.body.reserve(content.body_size);

  uint64_t received = 0;
  while (received < content.body_size) {
    auto body = next_frame(kContentTimeout);
    if (!body) return body.error();
    if (!*body || (*body)->frame_type != AMQP_FRAME_BODY) return make_error(Errc::broker, "expected a body frame");
    const amqp_bytes_t fragment = (*body)->payload.body_fragment;
    received += fragment.len;
    if (!content.oversized) content.body.append(static_cast<const char*>(fragment.bytes), fragment.len);
  }
  return content;
}

Error RabbitConnection::handle_server_close(const amqp_frame_t& frame) {
  const auto id = frame.payload.method.id;
  if (id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
    Error e = make_error(Errc::broker, "broker closed the channel: " + std::to_string(m->reply_code) + " " +
                                           bytes_to_string(m->reply_text));
    amqp_channel_close_ok_t ok{};
    amqp_send_method(conn_, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
    return e;
  }
  auto* m = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
  Error e = make_error(Errc::broker, "broker closed the connection: " + std::to_string(m->reply_code) + " " +
                                         bytes_to_string(m->reply_text));
  amqp_connection_close_ok_t ok{};
  amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
  return e;
}

}  // namespace baton::amqp
