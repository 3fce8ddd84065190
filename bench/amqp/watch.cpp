#include <unistd.h>

#include <iostream>

#include "bench/amqp/bench_connection.hpp"

namespace baton::bench {

// Watches a preloaded queue from outside, the same way for every consumer:
// t_first is when the ready count first drops below its starting value (a
// consumer got its first prefetch), t_end when it reaches zero. At that point
// at most one prefetch window (200) is still unacked; bench/run.sh checks
// afterwards that nothing came back.
int run_watch(const Args& args) {
  const std::string queue = args.str("queue", "baton.conductor");
  const uint64_t timeout_s = args.num("timeout", 600);
  const useconds_t interval_us = static_cast<useconds_t>(args.num("interval-us", 5000));
  BenchConnection conn(args.required("url"), "bench watch");
  const uint32_t start = conn.ready(queue);
  const double t_watch = epoch_seconds();
  double t_first = 0;
  uint64_t polls = 0;
  while (true) {
    const uint32_t ready = conn.ready(queue);
    const double now = epoch_seconds();
    ++polls;
    if (t_first == 0 && ready < start) t_first = now;
    if (ready == 0) {
      if (t_first == 0) t_first = now;
      std::cout << "{\"start_ready\": " << start << ", \"t_watch\": " << std::fixed << t_watch
                << ", \"t_first\": " << t_first << ", \"t_end\": " << now << ", \"polls\": " << polls << "}"
                << std::endl;
      return 0;
    }
    if (now - t_watch > static_cast<double>(timeout_s))
      die(queue + " still holds " + std::to_string(ready) + " ready messages after " + std::to_string(timeout_s) + " s");
    ::usleep(interval_us);
  }
}

int run_depth(const Args& args) {
  BenchConnection conn(args.required("url"), "bench depth");
  std::cout << conn.ready(args.str("queue", "baton.conductor")) << std::endl;
  return 0;
}

int run_declare(const Args& args) {
  BenchConnection conn(args.required("url"), "bench declare");
  conn.declare_conductor_inbox();
  return 0;
}

}  // namespace baton::bench
