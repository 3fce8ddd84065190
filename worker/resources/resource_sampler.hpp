#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "baton/events.pb.h"

namespace baton::worker {

// Host resources for heartbeats, read from /proc and statvfs. GPUs are not
// filled here (see GpuProbe): a slow nvidia-smi must not delay the rest.
class ResourceSampler {
 public:
  // proc_root lets tests substitute a directory of fixture files for /proc.
  explicit ResourceSampler(std::vector<std::string> disk_paths, std::string proc_root = "/proc");

  // cpu_percent covers the time since the previous call (since boot on the
  // first). Anything unreadable is left at zero and logged once, so a
  // heartbeat is never lost to one missing file or unmounted disk.
  baton::v1::Resources sample();

 private:
  void warn_once(const std::string& what, const std::string& why);
  void clear_warning(const std::string& what);

  std::vector<std::string> disk_paths_;
  std::string proc_root_;
  std::mutex mutex_;
  uint64_t prev_busy_ = 0;
  uint64_t prev_total_ = 0;
  std::set<std::string> warned_;
};

struct CpuTimes {
  uint64_t busy = 0;
  uint64_t total = 0;
};

// The aggregate "cpu" line of /proc/stat; iowait counts as idle.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
// MemTotal and MemAvailable in bytes.
std::optional<std::pair<uint64_t, uint64_t>> parse_meminfo(std::string_view text);
std::optional<std::array<double, 3>> parse_loadavg(std::string_view text);

}  // namespace baton::worker
