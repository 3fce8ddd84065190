#include "worker/maintenance/maintenance_runner.hpp"

#include <exception>

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

std::vector<std::filesystem::path> as_paths(const std::vector<std::string>& roots) {
  return {roots.begin(), roots.end()};
}

}  // namespace

const Clock& MaintenanceRunner::system_clock() {
  static const SystemClock clock;
  return clock;
}

MaintenanceRunner::MaintenanceRunner(MaintenanceConfig config, const Clock& clock)
    : config_(std::move(config)), roots_(as_paths(config_.allowed_roots)), clock_(clock) {}

MaintenanceOutcome MaintenanceRunner::dispatch(const MaintenanceRequest& request) {
  for (const auto& action : kActions) {
    if (request.action != action.name) continue;
    const auto timeout = request.timeout.count() > 0 ? request.timeout : config_.default_timeout;
    ActionContext context{config_, roots_, clock_, std::chrono::steady_clock::now() + timeout, request.dry_run};
    ActionParams params(request.params);
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
