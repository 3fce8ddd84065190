#include <sys/resource.h>

#include <algorithm>
#include <iostream>

#include "bench/amqp/bench_connection.hpp"

namespace baton::bench {

// The baseline: a plain rabbitmq-c consumer with the conductor's prefetch that
// does nothing but ack. With --ack-every N it settles N deliveries with one
// multiple ack, as the conductor does per write batch, so the comparison is
// against the fastest plain consumer rather than a handicapped one.
int run_drain(const Args& args) {
  const std::string queue = args.str("queue", "baton.conductor");
  const uint64_t count = args.num("count", 100'000);
  const uint16_t prefetch = static_cast<uint16_t>(args.num("prefetch", 200));
  const uint64_t ack_every = std::max<uint64_t>(1, args.num("ack-every", 1));
  const double t_start = epoch_seconds();
  BenchConnection conn(args.required("url"), "bench raw consumer");
  amqp_basic_qos(conn.get(), BenchConnection::kChannel, 0, prefetch, 0);
  conn.check_rpc("basic.qos");
  amqp_basic_consume(conn.get(), BenchConnection::kChannel, amqp_cstring_bytes(queue.c_str()), amqp_empty_bytes, 0, 0, 0,
                     amqp_empty_table);
  conn.check_rpc("basic.consume");

  double t_first = 0;
  for (uint64_t n = 0; n < count; ++n) {
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(conn.get());
    timeval timeout{30, 0};
    auto reply = amqp_consume_message(conn.get(), &envelope, &timeout, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
      die("consume stopped after " + std::to_string(n) + " messages (nothing for 30 s, or the link broke)");
    if (n == 0) t_first = epoch_seconds();
    if ((n + 1) % ack_every == 0 || n + 1 == count) {
      if (int rc = amqp_basic_ack(conn.get(), BenchConnection::kChannel, envelope.delivery_tag, ack_every > 1 ? 1 : 0);
          rc != AMQP_STATUS_OK)
        die("ack: " + std::string(amqp_error_string2(rc)));
    }
    amqp_destroy_envelope(&envelope);
  }
  // A synchronous round trip on the same channel: the broker has handled every
  // ack sent before it.
  const uint32_t left = conn.ready(queue);
  const double t_end = epoch_seconds();
  // Its own CPU (connection set-up included), to set beside the broker's.
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  const double cpu_ms = (self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e3 +
                        (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e3;
  std::cout << "{\"consumed\": " << count << ", \"t_start\": " << std::fixed << t_start << ", \"t_first\": " << t_first
            << ", \"t_end\": " << t_end << ", \"seconds\": " << (t_end - t_first)
            << ", \"msgs_per_s\": " << count / (t_end - t_first) << ", \"ready_after\": " << left
            << ", \"cpu_ms\": " << cpu_ms << "}" << std::endl;
  return 0;
}

}  // namespace baton::bench
