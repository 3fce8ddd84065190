#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace baton {

// Exponential back-off with "full jitter": the n-th delay is uniform in
// [initial/2, min(max, initial * 2^n)], so a fleet of workers that lost the
// broker at the same moment does not come back in lock-step.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed);

  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  unsigned attempt() const { return attempt_; }

  // The ceiling of the n-th delay, before jitter; exposed for tests.
  std::chrono::milliseconds ceiling(unsigned attempt) const;

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  unsigned attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace baton
