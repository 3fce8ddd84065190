#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "worker/checks/check_params.hpp"
#include "worker/checks/check_state.hpp"
#include "worker/checks/checks_config.hpp"
#include "worker/checks/perfdata.hpp"

namespace baton::worker::checks {

// What a built-in check hands back; the runner adds duration and caps the
// output. Failures to check at all are an Error instead, which the runner
// turns into UNKNOWN.
struct CheckReport {
  CheckState state = CheckState::unknown;
  std::string output;
  std::vector<PerfDatum> perfdata;
  bool output_truncated = false;  // lost before the runner's cap (a plugin's flood)
};

// Everything a built-in may use besides its params. Checks are cooperative
// about time: each passes remaining() to whatever blocks (a child process,
// a socket, SQLite's progress handler), so no thread is ever abandoned.
struct CheckContext {
  const ChecksConfig& config;
  const Clock& clock;      // wall time, for file ages
  std::string proc_root;   // "/proc", or a fixture directory in tests
  const std::vector<std::string>& args;
  std::chrono::milliseconds timeout;
  std::chrono::steady_clock::time_point deadline;
  std::mutex& state_mutex;  // serialises logscan state files

  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }
  // remaining(), but never 0: to run_process and fetch 0 means "no limit".
  std::chrono::milliseconds budget() const { return std::max(remaining(), std::chrono::milliseconds(1)); }
  bool expired() const { return std::chrono::steady_clock::now() >= deadline; }
  // Errc::timeout naming the limit (not the measured time, which would make
  // every message differ).
  Error timed_out(const std::string& doing) const {
    return make_error(Errc::timeout, "timed out after " + std::to_string(timeout.count()) + " ms " + doing);
  }
};

// Collects metrics and problems into one report. The state is the worst of
// every metric and every raised problem; problems lead the output so the
// first words say what is wrong.
class Verdict {
 public:
  // Evaluates the value, records it as perfdata (thresholds in base units)
  // and, when it alerts, a problem such as "disk_used 93.1% (critical: 90)".
  CheckState measure(const std::string& label, double value, const std::string& uom, const Thresholds& thresholds,
                     std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  void raise(CheckState state, const std::string& problem);
  CheckState state() const { return state_; }
  CheckReport report(const std::string& summary) const;

 private:
  CheckState state_ = CheckState::ok;
  std::vector<std::string> problems_;
  std::vector<PerfDatum> perfdata_;
};

// "93.1", "12": one decimal at most, for messages.
std::string short_number(double value);
// 1536 -> "1.5 KiB".
std::string human_bytes(double bytes);

}  // namespace baton::worker::checks
