#include <gtest/gtest.h>

#include "common/core/backoff.hpp"

namespace baton {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToTheMaximum) {
  Backoff b(milliseconds(100), milliseconds(1000), 1);
  EXPECT_EQ(b.ceiling(0), milliseconds(100));
  EXPECT_EQ(b.ceiling(1), milliseconds(200));
  EXPECT_EQ(b.ceiling(3), milliseconds(800));
  EXPECT_EQ(b.ceiling(4), milliseconds(1000));
  EXPECT_EQ(b.ceiling(60), milliseconds(1000));
}

TEST(Backoff, DelaysStayWithinJitterBounds) {
  Backoff b(milliseconds(100), milliseconds(1000), 7);
  for (unsigned i = 0; i < 50; ++i) {
    const auto ceiling = b.ceiling(b.attempt());
    const auto d = b.next();
    EXPECT_GE(d, milliseconds(50));
    EXPECT_LE(d, ceiling);
  }
}

TEST(Backoff, JitterSpreadsAFleet) {
  // Two workers that lost the broker together should not retry together.
  std::set<long long> first_delays;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Backoff b(milliseconds(100), milliseconds(10000), seed);
    b.next();
    b.next();
    first_delays.insert(b.next().count());
  }
  EXPECT_GT(first_delays.size(), 10u);
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(milliseconds(100), milliseconds(1000), 3);
  for (int i = 0; i < 5; ++i) b.next();
  b.reset();
  EXPECT_EQ(b.attempt(), 0u);
  EXPECT_LE(b.next(), milliseconds(100));
}

}  // namespace
}  // namespace baton
