#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "baton/envelope.pb.h"
#include "common/core/clock.hpp"
#include "worker/config.hpp"
#include "worker/resources/gpu_probe.hpp"

namespace baton::worker {

// Builds what the worker tells the conductor about itself: registration,
// numbered heartbeats and the goodbye. The GPU snapshot is refreshed by the
// caller off the I/O path (nvidia-smi can be slow).
class StatusReporter {
 public:
  StatusReporter(const WorkerConfig& config, std::string hostname);

  void set_gpus(GpuSnapshot snapshot);
  v1::Envelope registration(TimePoint now) const;
  v1::Envelope heartbeat(v1::Resources resources, unsigned free_slots, TimePoint now, bool draining = false);
  v1::Envelope stopping(const std::string& reason, bool jobs_left_running, TimePoint now) const;

  const std::string& sender() const { return sender_; }

 private:
  const WorkerConfig& config_;
  std::string hostname_;
  std::string sender_;
  uint64_t sequence_ = 0;
  mutable std::mutex gpu_mu_;
  GpuSnapshot gpus_;
};

// The host name up to the first dot.
std::string short_hostname();

}  // namespace baton::worker
