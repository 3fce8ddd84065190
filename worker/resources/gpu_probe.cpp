#include "worker/resources/gpu_probe.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/sys/process.hpp"

namespace baton::worker {
namespace {

constexpr std::string_view kNoNvidiaSmi = "no nvidia-smi: no GPUs";
constexpr size_t kFieldCount = 7;

std::string_view trim(std::string_view s) {
  size_t start = s.find_first_not_of(" \t\r");
  if (start == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(start, end - start + 1);
}

// nvidia-smi prints "[N/A]", "[Not Supported]", "[Unknown Error]" for fields
// a board or driver does not report; that is a missing value, not bad output.
bool is_unavailable(std::string_view value) {
  return value == "N/A" || (value.size() >= 2 && value.front() == '[' && value.back() == ']');
}

template <class T>
std::optional<T> number(std::string_view value) {
  if (is_unavailable(value)) return T{};
  T parsed{};
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
  return parsed;
}

std::optional<GpuReading> parse_line(std::string_view line, std::string& why) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (fields.size() != kFieldCount) {
    why = "expected " + std::to_string(kFieldCount) + " fields, got " + std::to_string(fields.size());
    return std::nullopt;
  }
  // Without a real index the GPU cannot be placed, so N/A is not good enough here.
  auto index = is_unavailable(fields[0]) ? std::nullopt : number<uint32_t>(fields[0]);
  auto memory_total = number<uint64_t>(fields[3]);
  auto memory_used = number<uint64_t>(fields[4]);
  auto utilization = number<double>(fields[5]);
  auto temperature = number<double>(fields[6]);
  if (!index || !memory_total || !memory_used || !utilization || !temperature) {
    why = "non-numeric field";
    return std::nullopt;
  }
  GpuReading reading;
  reading.info.set_index(*index);
  reading.info.set_uuid(std::string(is_unavailable(fields[1]) ? std::string_view() : fields[1]));
  reading.info.set_name(std::string(is_unavailable(fields[2]) ? std::string_view() : fields[2]));
  reading.info.set_memory_total_mib(*memory_total);
  reading.status.set_index(*index);
  reading.status.set_memory_total_mib(*memory_total);
  reading.status.set_memory_used_mib(*memory_used);
  reading.status.set_utilization_percent(*utilization);
  reading.status.set_temperature_celsius(*temperature);
  return reading;
}

std::string first_line(std::string_view text) {
  text = trim(text.substr(0, text.find('\n')));
  return std::string(text.substr(0, 200));
}

}  // namespace

std::vector<GpuReading> parse_nvidia_smi_csv(std::string_view csv, std::string* error) {
  std::vector<GpuReading> readings;
  std::string problems;
  size_t line_no = 0;
  size_t at = 0;
  while (at < csv.size()) {
    size_t end = csv.find('\n', at);
    if (end == std::string_view::npos) end = csv.size();
    std::string_view line = trim(csv.substr(at, end - at));
    at = end + 1;
    ++line_no;
    if (line.empty()) continue;
    std::string why;
    if (auto reading = parse_line(line, why)) {
      readings.push_back(std::move(*reading));
    } else {
      if (!problems.empty()) problems += "; ";
      problems += "line " + std::to_string(line_no) + ": " + why + " in '" + std::string(line.substr(0, 80)) + "'";
    }
  }
  if (error) *error = std::move(problems);
  return readings;
}

GpuProbe::GpuProbe(GpuConfig config) : config_(std::move(config)) {}

GpuSnapshot GpuProbe::query() {
  GpuSnapshot snapshot;
  if (config_.mode == GpuConfig::Mode::off) {
    snapshot.note = "GPU reporting is off in the worker config";
    return snapshot;
  }
  snapshot = run_nvidia_smi();
  log_if_changed(snapshot);
  return snapshot;
}

GpuSnapshot GpuProbe::run_nvidia_smi() const {
  using std::chrono::milliseconds;
  GpuSnapshot snapshot;
  sys::ProcessOptions options;
  options.argv = {config_.nvidia_smi, "--query-gpu=" + std::string(kNvidiaSmiQuery),
                  "--format=csv,noheader,nounits"};
  options.timeout = config_.query_timeout;
  options.kill_grace = std::clamp(config_.query_timeout, milliseconds(100), milliseconds(1000));
  options.env_overrides = {{"LC_ALL", "C"}};

  auto result = sys::run_process(options);
  if (!result) {
    bool absent = result.error().code == Errc::not_found;
    if (absent && config_.mode == GpuConfig::Mode::autodetect) {
      snapshot.note = kNoNvidiaSmi;
    } else {
      snapshot.note = (absent ? "nvidia-smi not found: " : "cannot run nvidia-smi: ") + result.error().message;
    }
    return snapshot;
  }
  const sys::ProcessResult& run = result.value();
  if (run.timed_out) {
    // The configured limit, not the measured time, keeps the note stable so
    // a persistently hung nvidia-smi is logged once.
    snapshot.note = "nvidia-smi timed out after " + std::to_string(config_.query_timeout.count()) + " ms";
    return snapshot;
  }
  if (run.exit_code != 0) {
    std::string detail = first_line(run.err.empty() ? run.out : run.err);
    snapshot.note = "nvidia-smi " + sys::describe(run) + (detail.empty() ? "" : ": " + detail);
    return snapshot;
  }
  std::string error;
  for (auto& reading : parse_nvidia_smi_csv(run.out, &error)) {
    snapshot.info.push_back(std::move(reading.info));
    snapshot.status.push_back(std::move(reading.status));
  }
  if (!error.empty()) {
    snapshot.note = "unexpected nvidia-smi output: " + error;
  } else if (snapshot.info.empty()) {
    snapshot.note = "nvidia-smi lists no GPUs";
  }
  return snapshot;
}

void GpuProbe::log_if_changed(const GpuSnapshot& snapshot) {
  std::lock_guard lock(mutex_);
  if (logged_ && snapshot.note == last_note_ && snapshot.info.size() == last_count_) return;
  logged_ = true;
  last_note_ = snapshot.note;
  last_count_ = snapshot.info.size();
  if (snapshot.note.empty()) {
    spdlog::info("gpu: nvidia-smi reports {} GPU(s)", snapshot.info.size());
  } else if (snapshot.note == kNoNvidiaSmi) {
    spdlog::info("gpu: {}", snapshot.note);
  } else {
    spdlog::warn("gpu: {}", snapshot.note);
  }
}

}  // namespace baton::worker
