#include <algorithm>

#include "common/sys/process.hpp"
#include "worker/maintenance/actions.hpp"

namespace baton::worker::maintenance {

MaintenanceOutcome restart_service(ActionParams& params, const ActionContext& context) {
  const std::string name = params.required_text("service");
  if (auto s = params.finish(); !s) return MaintenanceOutcome::refusal(s.error().message);
  auto it = context.config.services.find(name);
  if (it == context.config.services.end()) {
    std::string known;
    for (const auto& [service, unused] : context.config.services) known += (known.empty() ? "" : ", ") + service;
    return MaintenanceOutcome::refusal("service " + name + " is not in maintenance.services (configured: " +
                                       (known.empty() ? "none" : known) + ")");
  }
  const ServiceRestart& restart = it->second;
  MaintenanceOutcome out;
  out.details = {{"service", name}, {"argv", restart.argv}};
  if (context.dry_run) {
    out.ok = true;
    out.message = "would restart " + name;
    return out;
  }
  sys::ProcessOptions process;
  process.argv = restart.argv;
  process.timeout = std::max(std::min(restart.timeout, context.time_left()), std::chrono::milliseconds(1));
  process.max_output_bytes = 8 * 1024;
  auto ran = sys::run_process(process);
  if (!ran) {
    return MaintenanceOutcome::failure("cannot run " + restart.argv.front() + ": " + ran.error().message, out.details);
  }
  out.details.update({{"exit_code", ran->exit_code},
                      {"signal", ran->term_signal},
                      {"timed_out", ran->timed_out},
                      {"stdout", ran->out},
                      {"stderr", ran->err}});
  out.metric("exit_code", ran->exit_code);
  out.ok = ran->exit_code == 0 && !ran->timed_out;
  out.message = (out.ok ? "restarted " : "restart of ") + name + (out.ok ? "" : " failed: " + sys::describe(*ran));
  return out;
}

}  // namespace baton::worker::maintenance
