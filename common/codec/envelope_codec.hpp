#pragma once

#include <string>
#include <string_view>

#include "baton/envelope.pb.h"
#include "common/amqp/transport.hpp"
#include "common/core/clock.hpp"
#include "common/core/result.hpp"

namespace google::protobuf {
class Message;
}

namespace baton::codec {

inline constexpr std::string_view kProtobuf = "application/x-protobuf";
inline constexpr std::string_view kJson = "application/json";

// 128 random bits as 32 hex characters.
std::string new_message_id();

// Protobuf by default; the protobuf JSON mapping when content_type is
// application/json (for scripts in any language). An envelope without a body
// is an error, which also catches most garbage that happens to parse.
Result<v1::Envelope> decode(std::string_view body, std::string_view content_type);
std::string encode(const v1::Envelope& envelope);

// "worker_heartbeat" etc.: the name of the body case, used as the AMQP type
// property and in routing keys.
std::string body_name(const v1::Envelope& envelope);

// Fills message_id (when empty), sent_at and sender.
void stamp(v1::Envelope& envelope, const std::string& sender, TimePoint now);

// Whether Baton gets what the envelope says again without the broker if it
// is lost (amqp::OutgoingMessage::recoverable).
bool recoverable(const v1::Envelope& envelope);

// A persistent protobuf message with id, type and correlation id copied from
// the envelope, marked recoverable as above.
amqp::OutgoingMessage to_message(const v1::Envelope& envelope, std::string exchange, std::string routing_key);

// Protobuf JSON mapping with the .proto field names (snake_case).
std::string to_json(const google::protobuf::Message& message);

}  // namespace baton::codec
