#include "worker/resources/resource_sampler.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include <spdlog/spdlog.h>

namespace baton::worker {
namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view next_token(std::string_view& rest) {
  size_t start = rest.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  size_t end = rest.find_first_of(" \t", start);
  if (end == std::string_view::npos) end = rest.size();
  std::string_view token = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return token;
}

template <class T>
std::optional<T> to_number(std::string_view token) {
  T value{};
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
  return value;
}

std::string_view line_of(std::string_view text, size_t start) {
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  size_t at = text.rfind("cpu ", 0) == 0 ? 0 : text.find("\ncpu ");
  if (at == std::string_view::npos) return std::nullopt;
  if (at != 0) ++at;
  std::string_view rest = line_of(text, at).substr(4);

  // user nice system idle iowait irq softirq steal; guest time is already
  // included in user, so the guest columns after steal are left out.
  uint64_t fields[8] = {};
  int count = 0;
  for (; count < 8; ++count) {
    std::string_view token = next_token(rest);
    if (token.empty()) break;
    auto value = to_number<uint64_t>(token);
    if (!value) return std::nullopt;
    fields[count] = *value;
  }
  if (count < 4) return std::nullopt;
  CpuTimes times;
  for (uint64_t f : fields) times.total += f;
  times.busy = times.total - fields[3] - fields[4];
  return times;
}

std::optional<std::pair<uint64_t, uint64_t>> parse_meminfo(std::string_view text) {
  std::optional<uint64_t> total, available, free, buffers, cached;
  size_t at = 0;
  while (at < text.size()) {
    std::string_view line = line_of(text, at);
    at += line.size() + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view rest = line.substr(colon + 1);
    auto value = to_number<uint64_t>(next_token(rest));
    if (!value) continue;
    uint64_t bytes = next_token(rest) == "kB" ? *value * 1024 : *value;
    if (key == "MemTotal") total = bytes;
    else if (key == "MemAvailable") available = bytes;
    else if (key == "MemFree") free = bytes;
    else if (key == "Buffers") buffers = bytes;
    else if (key == "Cached") cached = bytes;
  }
  if (!total) return std::nullopt;
  // Kernels before 3.14 lack MemAvailable; free + page cache is the usual stand-in.
  if (!available && free) available = *free + buffers.value_or(0) + cached.value_or(0);
  if (!available) return std::nullopt;
  return std::make_pair(*total, *available);
}

std::optional<std::array<double, 3>> parse_loadavg(std::string_view text) {
  std::array<double, 3> loads{};
  std::string_view rest = line_of(text, 0);
  for (double& load : loads) {
    auto value = to_number<double>(next_token(rest));
    if (!value || *value < 0) return std::nullopt;
    load = *value;
  }
  return loads;
}

ResourceSampler::ResourceSampler(std::vector<std::string> disk_paths, std::string proc_root)
    : disk_paths_(std::move(disk_paths)), proc_root_(std::move(proc_root)) {}

void ResourceSampler::warn_once(const std::string& what, const std::string& why) {
  if (warned_.insert(what).second) spdlog::warn("resources: skipping {}: {}", what, why);
}

void ResourceSampler::clear_warning(const std::string& what) {
  if (warned_.erase(what) > 0) spdlog::info("resources: {} readable again", what);
}

baton::v1::Resources ResourceSampler::sample() {
  std::lock_guard lock(mutex_);
  baton::v1::Resources out;

  const std::string stat_path = proc_root_ + "/stat";
  auto stat_text = read_text(stat_path);
  auto cpu = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;
  if (cpu) {
    clear_warning(stat_path);
    // Counters can step back (CPU hot-unplug); then the since-boot figure
    // is the honest fallback rather than a huge bogus delta.
    bool monotonic = cpu->busy >= prev_busy_ && cpu->total >= prev_total_;
    uint64_t busy = monotonic ? cpu->busy - prev_busy_ : cpu->busy;
    uint64_t total = monotonic ? cpu->total - prev_total_ : cpu->total;
    out.set_cpu_percent(total == 0 ? 0.0 : 100.0 * static_cast<double>(busy) / static_cast<double>(total));
    prev_busy_ = cpu->busy;
    prev_total_ = cpu->total;
  } else {
    warn_once(stat_path, stat_text ? "unrecognised format" : "cannot read");
  }

  const std::string meminfo_path = proc_root_ + "/meminfo";
  auto meminfo_text = read_text(meminfo_path);
  auto memory = meminfo_text ? parse_meminfo(*meminfo_text) : std::nullopt;
  if (memory) {
    clear_warning(meminfo_path);
    out.set_memory_total_bytes(memory->first);
    out.set_memory_available_bytes(memory->second);
  } else {
    warn_once(meminfo_path, meminfo_text ? "no MemTotal/MemAvailable" : "cannot read");
  }

  const std::string loadavg_path = proc_root_ + "/loadavg";
  auto loadavg_text = read_text(loadavg_path);
  auto loads = loadavg_text ? parse_loadavg(*loadavg_text) : std::nullopt;
  if (loads) {
    clear_warning(loadavg_path);
    out.set_load1((*loads)[0]);
    out.set_load5((*loads)[1]);
    out.set_load15((*loads)[2]);
  } else {
    warn_once(loadavg_path, loadavg_text ? "unrecognised format" : "cannot read");
  }

  for (const auto& path : disk_paths_) {
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0) {
      warn_once("disk " + path, std::error_code(errno, std::generic_category()).message());
      continue;
    }
    clear_warning("disk " + path);
    auto* disk = out.add_disks();
    disk->set_path(path);
    disk->set_total_bytes(static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize);
    disk->set_used_bytes(static_cast<uint64_t>(fs.f_blocks - fs.f_bfree) * fs.f_frsize);
    disk->set_inodes_total(fs.f_files);
    disk->set_inodes_used(fs.f_files >= fs.f_ffree ? fs.f_files - fs.f_ffree : 0);
  }
  return out;
}

}  // namespace baton::worker
