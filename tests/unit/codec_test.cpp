#include <gtest/gtest.h>

#include "common/codec/envelope_codec.hpp"

namespace baton::codec {
namespace {

v1::Envelope heartbeat() {
  v1::Envelope e;
  auto* h = e.mutable_worker_heartbeat();
  h->set_worker_id("gpu-01");
  h->set_sequence(42);
  h->mutable_resources()->set_cpu_percent(12.5);
  h->mutable_resources()->set_memory_total_bytes(64ull << 30);
  auto* gpu = h->mutable_resources()->add_gpus();
  gpu->set_index(1);
  gpu->set_temperature_celsius(71);
  stamp(e, "worker.gpu-01", from_unix_ms(1'700'000'000'123));
  return e;
}

TEST(Codec, ProtobufRoundTripKeepsEveryField) {
  const auto original = heartbeat();
  auto decoded = decode(encode(original), kProtobuf);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->SerializeAsString(), original.SerializeAsString());
  EXPECT_EQ(decoded->worker_heartbeat().resources().gpus(0).temperature_celsius(), 71);
  EXPECT_EQ(decoded->sender(), "worker.gpu-01");
  EXPECT_EQ(decoded->sent_at().seconds(), 1'700'000'000);
}

TEST(Codec, OnlyWhatBatonRecoversWithoutTheBrokerIsMarkedRecoverable) {
  const auto marked = [](auto set_body) {
    v1::Envelope e;
    set_body(e);
    const bool r = codec::recoverable(e);
    EXPECT_EQ(codec::to_message(e, "x", "k").recoverable, r);
    return r;
  };
  EXPECT_TRUE(marked([](v1::Envelope& e) { e.mutable_worker_heartbeat(); }));
  EXPECT_TRUE(marked([](v1::Envelope& e) { e.mutable_run_step(); }));
  EXPECT_TRUE(marked([](v1::Envelope& e) { e.mutable_step_finished(); }));
  EXPECT_TRUE(marked([](v1::Envelope& e) { e.mutable_check_result(); }));
  EXPECT_FALSE(marked([](v1::Envelope& e) { e.mutable_submit_case(); })) << "a lost submission is a lost case";
  EXPECT_FALSE(marked([](v1::Envelope& e) { e.mutable_cancel_step(); }));
  EXPECT_FALSE(marked([](v1::Envelope& e) { e.mutable_run_maintenance(); }));
  EXPECT_FALSE(marked([](v1::Envelope& e) { e.mutable_maintenance_result(); }));
  EXPECT_FALSE(marked([](v1::Envelope& e) { e.mutable_running_steps(); }));
}

TEST(Codec, EmptyContentTypeMeansProtobuf) {
  auto decoded = decode(encode(heartbeat()), "");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->worker_heartbeat().sequence(), 42u);
}

TEST(Codec, JsonMappingRoundTrip) {
  const auto original = heartbeat();
  const std::string json = to_json(original);
  EXPECT_NE(json.find("\"worker_heartbeat\""), std::string::npos) << json;
  auto decoded = decode(json, "application/json; charset=utf-8");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->SerializeAsString(), original.SerializeAsString());
}

TEST(Codec, JsonWithCamelCaseNamesIsAcceptedToo) {
  auto decoded = decode(R"({"workerStopping":{"workerId":"w1","reason":"maintenance"}})", kJson);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->worker_stopping().reason(), "maintenance");
}

TEST(Codec, GarbageIsADecodeErrorThatSaysWhy) {
  auto bad = decode("this is not protobuf", kProtobuf);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::decode);

  auto empty = decode("", kProtobuf);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("no body"), std::string::npos);

  auto json = decode("{\"nope\": 1}", kJson);
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.error().message.find("JSON"), std::string::npos);

  auto type = decode("x", "text/plain");
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.error().message.find("text/plain"), std::string::npos);
}

TEST(Codec, MessageCarriesIdTypeAndContentType) {
  const auto e = heartbeat();
  const auto m = to_message(e, "baton.events", "event.heartbeat.gpu-01");
  EXPECT_EQ(m.type, "worker_heartbeat");
  EXPECT_EQ(m.message_id, e.message_id());
  EXPECT_EQ(m.content_type, kProtobuf);
  EXPECT_TRUE(m.persistent);
  EXPECT_EQ(body_name(e), "worker_heartbeat");
}

TEST(Codec, MessageIdsAreUniqueHex) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(new_message_id());
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(ids.begin()->size(), 32u);
  EXPECT_EQ(ids.begin()->find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace baton::codec
