#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/core/clock.hpp"
#include "worker/checks/builtin_checks.hpp"
#include "worker/checks/check_types.hpp"
#include "worker/checks/checks_config.hpp"

namespace baton::worker::checks {

// Test seams: where wall time and /proc come from.
struct CheckEnvironment {
  const Clock* clock = nullptr;  // nullptr: the system clock
  std::string proc_root = "/proc";
};

// Executes one check request. Never throws and never crashes on bad input:
// an unknown type, a bad param, a timeout or an exception inside a check is
// an UNKNOWN outcome whose output says why. Safe to call from several pool
// threads at once.
class CheckRunner {
 public:
  explicit CheckRunner(ChecksConfig config, CheckEnvironment environment = {});

  CheckOutcome run(const CheckRequest& request) noexcept;

  // Adds or replaces a check type, before the runner is shared between
  // threads. The built-ins are registered by the constructor.
  void add_check(const std::string& type, CheckFunction check);

  // The registered type names, sorted ("cpu", "disk", ..., "plugin", ...).
  std::vector<std::string> types() const;
  const ChecksConfig& config() const { return config_; }

 private:
  CheckOutcome execute(const CheckRequest& request, std::chrono::milliseconds timeout);
  void cap_output(CheckOutcome& outcome) const;

  ChecksConfig config_;
  std::map<std::string, CheckFunction> checks_;
  CheckEnvironment environment_;
  SystemClock system_clock_;
  std::mutex state_mutex_;
};

}  // namespace baton::worker::checks
