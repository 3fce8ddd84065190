#include <gtest/gtest.h>

#include <array>
#include <set>

#include "conductor/schedule/splay.hpp"

namespace baton::conductor {
namespace {

using namespace std::chrono_literals;

TEST(Splay, Fnv1aMatchesThePublishedTestVectors) {
  // From the FNV reference (isthe.com/chongo/tech/comp/fnv): a changed
  // constant or byte order would move every target's place in its window.
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ULL);
}

TEST(Splay, FiveHundredTargetsSpreadAcrossTheWindow) {
  constexpr auto kSplay = 30s;
  std::array<int, 10> buckets{};
  std::set<int64_t> distinct;
  for (int i = 1; i <= 500; ++i) {
    const auto offset = splay_offset("disk-check", "worker-" + std::to_string(i), kSplay);
    ASSERT_GE(offset, 0ms);
    ASSERT_LT(offset, kSplay);
    ++buckets[static_cast<size_t>(offset * 10 / kSplay)];
    distinct.insert(offset.count());
  }
  // 50 expected per 3-second bucket; a hash that clumps (e.g. raw FNV low bits
  // on keys differing in the last character) would leave some nearly empty.
  for (size_t b = 0; b < buckets.size(); ++b) {
    EXPECT_GE(buckets[b], 30) << "bucket " << b;
    EXPECT_LE(buckets[b], 70) << "bucket " << b;
  }
  EXPECT_GE(distinct.size(), 490u);
}

TEST(Splay, IsStableAndDependsOnScheduleAndTarget) {
  const auto a = splay_offset("disk-check", "worker-7", 5min);
  EXPECT_EQ(a, splay_offset("disk-check", "worker-7", 5min));
  EXPECT_NE(a, splay_offset("disk-check", "worker-8", 5min));
  EXPECT_NE(a, splay_offset("gpu-check", "worker-7", 5min));
  EXPECT_NE(splay_offset("ab", "c", 5min), splay_offset("a", "bc", 5min));
  EXPECT_EQ(splay_offset("disk-check", "worker-7", 0ms), 0ms);
}

}  // namespace
}  // namespace baton::conductor
