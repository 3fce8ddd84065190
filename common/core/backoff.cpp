#include "common/core/backoff.hpp"

#include <algorithm>

namespace baton {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      rng_(seed) {}

std::chrono::milliseconds Backoff::ceiling(unsigned attempt) const {
  const auto cap = max_.count();
  long long value = initial_.count();
  for (unsigned i = 0; i < attempt && value < cap; ++i) value *= 2;
  return std::chrono::milliseconds(std::min<long long>(value, cap));
}

std::chrono::milliseconds Backoff::next() {
  const long long hi = ceiling(attempt_).count();
  const long long lo = std::min<long long>(initial_.count() / 2, hi);
  if (attempt_ < 64) ++attempt_;
  std::uniform_int_distribution<long long> dist(lo, hi);
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace baton
