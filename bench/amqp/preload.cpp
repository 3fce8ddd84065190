#include <iostream>

#include "bench/amqp/bench_connection.hpp"
#include "bench/amqp/confirm_window.hpp"
#include "bench/support/heartbeat_fixture.hpp"

namespace baton::bench {

// Fills baton.conductor with `count` persistent heartbeats, round-robin over
// `workers` simulated workers with increasing sequence numbers, every one
// confirmed by the broker before we return.
int run_preload(const Args& args) {
  const uint64_t count = args.num("count", 100'000);
  const unsigned workers = static_cast<unsigned>(args.num("workers", 200));
  const uint64_t seq_base = args.num("seq-base", 0);
  BenchConnection conn(args.required("url"), "bench preload");
  conn.declare_conductor_inbox();
  const uint32_t before = conn.ready("baton.conductor");
  conn.confirm_select();
  ConfirmWindow window(conn);
  PublishBatch batch(conn);
  const double t0 = epoch_seconds();
  for (uint64_t i = 0; i < count; ++i) {
    const std::string name = worker_name(static_cast<unsigned>(i % workers));
    batch.add(heartbeat_envelope(name, seq_base + i / workers + 1), name);
    window.published();
    if (window.outstanding() >= 2000) {
      batch.flush();
      window.wait_until_at_most(1000);
    }
  }
  batch.flush();
  window.wait_until_at_most(0);
  const double seconds = epoch_seconds() - t0;
  const uint32_t after = conn.ready("baton.conductor");
  if (after != before + count)
    die("baton.conductor holds " + std::to_string(after) + " ready messages, expected " + std::to_string(before + count));
  std::cout << "{\"published\": " << count << ", \"workers\": " << workers << ", \"seconds\": " << seconds
            << ", \"msgs_per_s\": " << count / seconds << ", \"ready\": " << after << "}" << std::endl;
  return 0;
}

}  // namespace baton::bench
