#include "common/codec/envelope_codec.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <random>

namespace baton::codec {

std::string new_message_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 0xf];
  }
  return id;
}

Result<v1::Envelope> decode(std::string_view body, std::string_view content_type) {
  v1::Envelope envelope;
  if (content_type.empty() || content_type == kProtobuf || content_type == "application/protobuf") {
    if (!envelope.ParseFromArray(body.data(), static_cast<int>(body.size())))
      return make_error(Errc::decode, "body is not a protobuf Envelope (" + std::to_string(body.size()) + " bytes)");
  } else if (content_type.substr(0, kJson.size()) == kJson) {
    google::protobuf::util::JsonParseOptions options;
    const auto st = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(body.data(), body.size()), &envelope, options);
    if (!st.ok()) return make_error(Errc::decode, "JSON envelope: " + std::string(st.message()));
  } else {
    return make_error(Errc::decode, "unsupported content_type '" + std::string(content_type) +
                                        "' (use application/x-protobuf or application/json)");
  }
  if (envelope.body_case() == v1::Envelope::BODY_NOT_SET)
    return make_error(Errc::decode, "envelope has no body (or carries a message this version does not know)");
  return envelope;
}

std::string encode(const v1::Envelope& envelope) { return envelope.SerializeAsString(); }

std::string body_name(const v1::Envelope& envelope) {
  const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(envelope.body_case()));
  return field ? field->name() : "none";
}

void stamp(v1::Envelope& envelope, const std::string& sender, TimePoint now) {
  if (envelope.message_id().empty()) envelope.set_message_id(new_message_id());
  *envelope.mutable_sent_at() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(to_unix_ms(now));
  envelope.set_sender(sender);
}

bool recoverable(const v1::Envelope& envelope) {
  switch (envelope.body_case()) {
    case v1::Envelope::kWorkerRegister:   // sent again on every connect
    case v1::Envelope::kWorkerHeartbeat:  // the next one
    case v1::Envelope::kCheckResult:
    // Reconciled when the worker registers again: a RunStep it does not list
    // is sent again, and it repeats a finished step's report from jobs.db.
    case v1::Envelope::kRunStep:
    case v1::Envelope::kStepStarted:
    case v1::Envelope::kStepProgress:
    case v1::Envelope::kStepFinished:
    case v1::Envelope::kStepRejected:
      return true;
    // A RunCheck is recoverable only as a scheduled run, which its next run
    // stands in for: the task scheduler, which knows, marks it.
    default:  // submissions, cancels, maintenance, the reconcile itself, replies
      return false;
  }
}

amqp::OutgoingMessage to_message(const v1::Envelope& envelope, std::string exchange, std::string routing_key) {
  amqp::OutgoingMessage m;
  m.exchange = std::move(exchange);
  m.routing_key = std::move(routing_key);
  m.body = encode(envelope);
  m.content_type = std::string(kProtobuf);
  m.type = body_name(envelope);
  m.message_id = envelope.message_id();
  m.correlation_id = envelope.correlation_id();
  m.recoverable = recoverable(envelope);
  return m;
}

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace baton::codec
