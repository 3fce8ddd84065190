#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace baton::conductor {

// 64-bit FNV-1a: unlike std::hash it gives the same value on every run,
// build and platform, so a target keeps its place in the splay window across
// conductor restarts and upgrades.
uint64_t fnv1a_64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);

// Where (schedule, target) fires inside the splay window: a fixed offset in
// [0, splay), so hundreds of targets of one schedule do not fire at once.
std::chrono::milliseconds splay_offset(std::string_view schedule, std::string_view target,
                                       std::chrono::milliseconds splay);

}  // namespace baton::conductor
