#include "worker/maintenance/maintenance_runner.hpp"

#include <exception>
#include <mutex>
#include <optional>
#include <set>

#include "common/log/logging.hpp"
#include "worker/maintenance/actions.hpp"

namespace baton::worker::maintenance {

namespace {

using Action = MaintenanceOutcome (*)(ActionParams&, const ActionContext&);

struct NamedAction {
  const char* name;
  Action run;
};

constexpr NamedAction kActions[] = {
    {"rotate", rotate_log},
    {"cleanup", clean_up_files},
    {"sqlite_maintenance", maintain_sqlite},
    {"sqlite_backup", back_up_sqlite},
    {"restart_service", restart_service},
};

// What two concurrent actions must not share. A path that fails the roots
// check is returned as given; the action refuses it anyway.
std::optional<std::string> target_of(const MaintenanceRequest& request, const AllowedRoots& roots) {
  if (request.action == "restart_service") {
    auto it = request.params.find("service");
    return it == request.params.end() ? std::nullopt : std::optional<std::string>("service " + it->second);
  }
  for (const char* key : {"path", "dir", "database"}) {
    auto it = request.params.find(key);
    if (it == request.params.end()) continue;
    auto resolved = roots.check(it->second);
    return resolved ? resolved->string() : it->second;
  }
  return std::nullopt;
}

std::vector<std::filesystem::path> as_paths(const std::vector<std::string>& roots) {
  return {roots.begin(), roots.end()};
}

}  // namespace

// A cleanup of a directory and a rotation of a file inside it touch the same
// files, so targets conflict when one contains the other, not only when equal.
struct MaintenanceRunner::BusyTargets {
  std::mutex mu;
  std::set<std::string> targets;

  bool claim(const std::string& target) {
    std::lock_guard lock(mu);
    for (const auto& busy : targets) {
      if (is_within(target, busy) || is_within(busy, target)) return false;
    }
    targets.insert(target);
    return true;
  }
  void release(const std::string& target) {
    std::lock_guard lock(mu);
    targets.erase(target);
  }
};

const Clock& MaintenanceRunner::system_clock() {
  static const SystemClock clock;
  return clock;
}

MaintenanceRunner::MaintenanceRunner(MaintenanceConfig config, const Clock& clock)
    : config_(std::move(config)),
      roots_(as_paths(config_.allowed_roots)),
      clock_(clock),
      busy_(std::make_unique<BusyTargets>()) {}

MaintenanceRunner::MaintenanceRunner(MaintenanceRunner&&) noexcept = default;
MaintenanceRunner::~MaintenanceRunner() = default;

MaintenanceOutcome MaintenanceRunner::dispatch(const MaintenanceRequest& request) {
  for (const auto& action : kActions) {
    if (request.action != action.name) continue;
    const auto timeout = request.timeout.count() > 0 ? request.timeout : config_.default_timeout;
    ActionContext context{config_, roots_, clock_, std::chrono::steady_clock::now() + timeout, request.dry_run};
    ActionParams params(request.params);
    const auto target = target_of(request, roots_);
    if (!target) return action.run(params, context);
    if (!busy_->claim(*target)) {
      return MaintenanceOutcome::refusal("another maintenance action is still running on or around " + *target);
    }
    struct Release {
      BusyTargets& busy;
      const std::string& target;
      ~Release() { busy.release(target); }
    } release{*busy_, *target};
    return action.run(params, context);
  }
  std::string known;
  for (const auto& action : kActions) known += (known.empty() ? "" : ", ") + std::string(action.name);
  return MaintenanceOutcome::refusal("unknown maintenance action \"" + request.action + "\" (known: " + known + ")");
}

MaintenanceOutcome MaintenanceRunner::run(const MaintenanceRequest& request) noexcept {
  const auto started = std::chrono::steady_clock::now();
  MaintenanceOutcome out;
  try {
    out = dispatch(request);
  } catch (const std::exception& e) {
    out = MaintenanceOutcome::failure("maintenance action " + request.action + " failed: " + e.what());
  } catch (...) {
    out = MaintenanceOutcome::failure("maintenance action " + request.action + " failed with an unknown exception");
  }
  try {
    out.details["dry_run"] = request.dry_run;
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
    out.metric("duration_ms", elapsed.count());
    log::logger("maintenance")
        ->info("{}{}: {} {}", request.action, request.dry_run ? " (dry run)" : "",
               out.ok ? "ok" : (out.refused ? "refused" : "failed"), out.message);
  } catch (...) {
    // Logging and bookkeeping must not turn a finished action into a crash.
  }
  return out;
}

}  // namespace baton::worker::maintenance
