#pragma once

#include <cstdint>
#include <string>

#include "baton/envelope.pb.h"

namespace baton::bench {

// A heartbeat shaped like a real worker's: resources with one disk, no GPUs,
// a 32-hex message id, sent_at and sender stamped.
v1::Envelope heartbeat_envelope(const std::string& worker_id, uint64_t sequence);

// The registration a worker of 4 slots labelled `bench` sends at start.
v1::Envelope register_envelope(const std::string& worker_id);

// The checks each simulated worker runs, in the order results cycle through.
inline constexpr const char* kBenchChecks[] = {"disk_root", "memory", "load", "gpu_temp"};

// Result number `n` of check `check` (an index into kBenchChecks) on a
// worker, shaped like the worker's own: output line, one perfdata datum, a
// unique command id and the check's schedule. `state` is the check's state.
v1::Envelope check_result_envelope(const std::string& worker_id, unsigned check, uint64_t n, v1::CheckState state);

// bench-w0000, bench-w0001, ...: the simulated worker ids.
std::string worker_name(unsigned index);

}  // namespace baton::bench
