#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/core/clock.hpp"

namespace baton::conductor {

// A worker as the conductor knows it. resources_pb is the latest heartbeat's
// Resources as protobuf bytes: heartbeats are the hottest write, and JSON is
// only needed when someone reads the worker, so the store renders
// resources_json on reads. gpus_json holds the registration's GpuInfo list in
// the protobuf JSON mapping.
struct WorkerRecord {
  std::string id;
  std::string hostname;
  std::string version;
  std::vector<std::string> labels;
  unsigned slots = 0;
  unsigned free_slots = 0;
  std::chrono::milliseconds heartbeat_interval{0};
  bool online = false;
  bool draining = false;  // finishing its jobs before it stops; takes no new work
  // Stopped on purpose (WorkerStopping) while its jobs keep running under
  // their supervisors; in memory only.
  bool jobs_left_running = false;
  TimePoint first_seen{};
  TimePoint last_seen{};
  TimePoint status_changed_at{};
  uint64_t last_sequence = 0;
  std::string offline_reason;
  std::string resources_pb;
  std::string resources_json = "{}";  // filled by the store's reads
  std::string gpus_json = "[]";
  // The GPU indices in gpus_json, parsed once (placement reads them for every
  // waiting case); filled by the registry and by the store's reads.
  std::vector<unsigned> gpu_indices;
};

struct WorkerCounts {
  unsigned online = 0;
  unsigned offline = 0;
};

}  // namespace baton::conductor
