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

v1::Envelope register_envelope(const std::string& worker_id) {
  v1::Envelope e;
  auto* r = e.mutable_worker_register();
  r->set_worker_id(worker_id);
  r->set_hostname("host-" + worker_id);
  r->set_version("bench");
  r->add_labels("bench");
  r->set_slots(4);
  r->set_heartbeat_interval_ms(5000);
  r->set_pid(4242);
  codec::stamp(e, "worker." + worker_id, SystemClock{}.now());
  *r->mutable_started_at() = e.sent_at();
  return e;
}

v1::Envelope check_result_envelope(const std::string& worker_id, unsigned check, uint64_t n, v1::CheckState state) {
  static constexpr const char* kTypes[] = {"disk", "memory", "load", "gpu"};
  static constexpr const char* kUnits[] = {"%", "%", "", "C"};
  const std::string name = kBenchChecks[check];
  v1::Envelope e;
  auto* c = e.mutable_check_result();
  c->set_worker_id(worker_id);
  c->set_check(name);
  c->set_type(kTypes[check]);
  c->set_schedule("check:" + name);
  c->set_command_id("check:" + name + "/" + worker_id + "/" + std::to_string(n));
  c->set_state(state);
  const double value = state == v1::CHECK_STATE_OK ? 40.0 + static_cast<double>(n % 20) : 91.5;
  char output[96];
  std::snprintf(output, sizeof output, "%s %s - %.1f%s", name.c_str(),
                state == v1::CHECK_STATE_OK ? "OK" : "WARNING", value, kUnits[check]);
  c->set_output(output);
  auto* perf = c->add_perfdata();
  perf->set_label(name);
  perf->set_value(value);
  perf->set_uom(kUnits[check]);
  perf->set_warn("80");
  perf->set_crit("90");
  perf->set_min(0);
  perf->set_max(100);
  c->set_duration_ms(3);
  codec::stamp(e, "worker." + worker_id, SystemClock{}.now());
  *c->mutable_finished_at() = e.sent_at();
  return e;
}

std::string worker_name(unsigned index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-w%04u", index);
  return buf;
}

}  // namespace baton::bench
