#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace baton::metrics {

// A value that only goes up (events consumed, requests answered). Lock-free:
// increments are a single atomic add.
class Counter {
 public:
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down (connections open, queue depth).
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1.0) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets. Each bucket counts only its own
// observations; the cumulative counts Prometheus wants are summed when
// scraped, and _count is derived from the same numbers, so a scrape racing an
// observe() still shows +Inf == _count.
class Histogram {
 public:
  // bounds: finite, strictly increasing upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> elapsed) {
    observe(std::chrono::duration<double>(elapsed).count());
  }

  struct Snapshot {
    std::vector<double> bounds;        // without +Inf
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0.0;
    uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0.0};
};

// Bucket bounds for latencies in seconds, from 1 ms to 5 min.
std::vector<double> latency_seconds_buckets();
// Bucket bounds for long durations (case and step run times), 1 s to 1 day.
std::vector<double> duration_seconds_buckets();

}  // namespace baton::metrics
