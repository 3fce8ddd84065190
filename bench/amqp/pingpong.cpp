#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "bench/amqp/bench_connection.hpp"

namespace baton::bench {

namespace {

constexpr const char* kPing = "bench.ping";
constexpr const char* kPong = "bench.pong";

void declare(BenchConnection& conn, const char* queue) {
  amqp_queue_declare(conn.get(), BenchConnection::kChannel, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
  conn.check_rpc(std::string("declare ") + queue);
}

void consume(BenchConnection& conn, const char* queue) {
  amqp_basic_qos(conn.get(), BenchConnection::kChannel, 0, 50, 0);
  conn.check_rpc("basic.qos");
  amqp_basic_consume(conn.get(), BenchConnection::kChannel, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0,
                     amqp_empty_table);
  conn.check_rpc(std::string("consume ") + queue);
}

// Persistent, like every Baton message.
void publish(BenchConnection& conn, const char* queue, amqp_bytes_t body) {
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  int rc = amqp_basic_publish(conn.get(), BenchConnection::kChannel, amqp_empty_bytes, amqp_cstring_bytes(queue), 0,
                              0, &props, body);
  if (rc != AMQP_STATUS_OK) die("publish: " + std::string(amqp_error_string2(rc)));
}

// False on timeout.
bool receive(BenchConnection& conn, amqp_envelope_t& envelope, long timeout_s) {
  amqp_maybe_release_buffers(conn.get());
  timeval tv{timeout_s, 0};
  auto reply = amqp_consume_message(conn.get(), &envelope, &tv, 0);
  return reply.reply_type == AMQP_RESPONSE_NORMAL;
}

}  // namespace

// The broker's share of Baton's dispatch path: two hops on one broker, each a
// publish and a consume with a manual ack (submit -> intake -> conductor,
// conductor -> worker queue -> worker), with nothing done in between.
int run_pingpong(const Args& args) {
  const std::string url = args.required("url");
  const uint64_t count = args.num("count", 200);
  const uint64_t interval_ms = args.num("interval-ms", 20);
  BenchConnection client(url, "bench ping");
  BenchConnection relay(url, "bench relay");
  declare(client, kPing);
  declare(client, kPong);
  consume(relay, kPing);
  consume(client, kPong);

  std::atomic<bool> done{false};
  std::thread relay_thread([&] {
    while (!done.load()) {
      amqp_envelope_t envelope;
      if (!receive(relay, envelope, 1)) continue;
      publish(relay, kPong, envelope.message.body);
      amqp_basic_ack(relay.get(), BenchConnection::kChannel, envelope.delivery_tag, 0);
      amqp_destroy_envelope(&envelope);
    }
  });

  std::vector<double> ms;
  char payload[64] = {};
  for (uint64_t i = 0; i < count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    publish(client, kPing, amqp_bytes_t{sizeof payload, payload});
    amqp_envelope_t envelope;
    if (!receive(client, envelope, 10)) die("no pong within 10 s");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    amqp_basic_ack(client.get(), BenchConnection::kChannel, envelope.delivery_tag, 0);
    amqp_destroy_envelope(&envelope);
    ::usleep(static_cast<useconds_t>(interval_ms * 1000));
  }
  done.store(true);
  relay_thread.join();
  std::cout << "{\"count\": " << count << ", \"p50_ms\": " << percentile(ms, 0.5)
            << ", \"p99_ms\": " << percentile(ms, 0.99) << ", \"max_ms\": " << percentile(ms, 1.0) << "}" << std::endl;
  return 0;
}

}  // namespace baton::bench
