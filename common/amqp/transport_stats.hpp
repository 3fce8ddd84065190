#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

namespace baton::amqp {

// Counters shared by a transport's two I/O threads; read by /metrics.
struct TransportStats {
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> republished{0};
  std::atomic<uint64_t> confirmed{0};
  std::atomic<uint64_t> nacked{0};
  std::atomic<uint64_t> returned{0};
  std::atomic<uint64_t> abandoned{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> stale_settlements_dropped{0};
  std::atomic<uint64_t> dead_lettered{0};
  std::atomic<uint64_t> reconnects{0};
  // Sum and count of publish→confirm latencies, in microseconds.
  std::atomic<uint64_t> confirm_latency_us_sum{0};
  std::atomic<uint64_t> confirm_latency_count{0};
  // Also told every publish→confirm latency (a metrics histogram). Set before
  // the transport starts; called on the publisher's I/O thread.
  std::function<void(std::chrono::microseconds)> confirm_latency_observer;
};

}  // namespace baton::amqp
