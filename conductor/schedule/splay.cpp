#include "conductor/schedule/splay.hpp"

namespace baton::conductor {

uint64_t fnv1a_64(std::string_view bytes, uint64_t seed) {
  uint64_t hash = seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::chrono::milliseconds splay_offset(std::string_view schedule, std::string_view target,
                                       std::chrono::milliseconds splay) {
  if (splay.count() <= 0) return std::chrono::milliseconds(0);
  // Chaining the two hashes (with a separator byte) keeps ("ab", "c") and
  // ("a", "bc") apart.
  uint64_t hash = fnv1a_64(schedule);
  hash = fnv1a_64(std::string_view("\0", 1), hash);
  hash = fnv1a_64(target, hash);
  // FNV's low bits mix poorly for keys that differ only in their last
  // characters (worker-1, worker-2); a final avalanche step spreads them.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return std::chrono::milliseconds(static_cast<int64_t>(hash % static_cast<uint64_t>(splay.count())));
}

}  // namespace baton::conductor
