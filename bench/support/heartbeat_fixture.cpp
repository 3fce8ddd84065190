#include "bench/support/heartbeat_fixture.hpp"

#include <cstdio>

#include "common/codec/envelope_codec.hpp"

namespace baton::bench {

v1::Envelope heartbeat_envelope(const std::string& worker_id, uint64_t sequence) {
  v1::Envelope e;
  auto* h = e.mutable_worker_heartbeat();
  h->set_worker_id(worker_id);
  h->set_sequence(sequence);
  h->set_heartbeat_interval_ms(5000);
  h->set_free_slots(4);
  h->set_hostname("host-" + worker_id);
  auto* r = h->mutable_resources();
  r->set_cpu_percent(12.5 + static_cast<double>(sequence % 50));
  r->set_memory_total_bytes(32ull << 30);
  r->set_memory_available_bytes((20ull << 30) - sequence * 4096);
  r->set_load1(0.42);
  r->set_load5(0.37);
  r->set_load15(0.30);
  auto* disk = r->add_disks();
  disk->set_path("/");
  disk->set_total_bytes(500ull << 30);
  disk->set_used_bytes(123ull << 30);
  disk->set_inodes_total(32'000'000);
  disk->set_inodes_used(1'200'000);
  codec::stamp(e, "worker." + worker_id, SystemClock{}.now());
  return e;
}

std::string worker_name(unsigned index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-w%04u", index);
  return buf;
}

}  // namespace baton::bench
