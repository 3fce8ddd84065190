#pragma once

#include <cstdint>
#include <string>

#include "baton/envelope.pb.h"

namespace baton::bench {

// A heartbeat shaped like a real worker's: resources with one disk, no GPUs,
// a 32-hex message id, sent_at and sender stamped.
v1::Envelope heartbeat_envelope(const std::string& worker_id, uint64_t sequence);

// bench-w0000, bench-w0001, ...: the simulated worker ids.
std::string worker_name(unsigned index);

}  // namespace baton::bench
