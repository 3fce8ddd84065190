#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "baton/events.pb.h"
#include "worker/config.hpp"

namespace baton::worker {

struct GpuSnapshot {
  std::vector<baton::v1::GpuInfo> info;
  std::vector<baton::v1::GpuStatus> status;
  std::string note;  // why the list is empty or partial; empty when all is well
};

// Asks nvidia-smi for inventory and utilisation. Never fails: a host without
// GPUs, a missing driver or a hung nvidia-smi all yield an empty snapshot
// whose note says why, so heartbeats keep flowing.
class GpuProbe {
 public:
  explicit GpuProbe(GpuConfig config);

  GpuSnapshot query();

 private:
  GpuSnapshot run_nvidia_smi() const;
  void log_if_changed(const GpuSnapshot& snapshot);

  GpuConfig config_;
  std::mutex mutex_;
  bool logged_ = false;
  std::string last_note_;
  size_t last_count_ = 0;
};

// The fields GpuProbe queries, in order.
inline constexpr std::string_view kNvidiaSmiQuery =
    "index,uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu";

struct GpuReading {
  baton::v1::GpuInfo info;
  baton::v1::GpuStatus status;
};

// Parses `--format=csv,noheader,nounits` output of kNvidiaSmiQuery. Lines
// that do not parse are skipped and described in *error (if given), so one
// odd line does not hide the other GPUs. "[N/A]"-style values read as 0.
std::vector<GpuReading> parse_nvidia_smi_csv(std::string_view csv, std::string* error);

}  // namespace baton::worker
