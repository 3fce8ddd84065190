#include <algorithm>

#include "common/sys/process.hpp"
#include "worker/checks/builtin_checks.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;

bool is_plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

std::optional<std::string> locate(const std::vector<std::string>& dirs, const std::string& name) {
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;  // an empty PATH entry would mean the cwd
    if (auto found = sys::find_in_path(name, dir)) return found;
  }
  return std::nullopt;
}


}  // namespace

// Runs a Nagios plugin that the worker's own config allows, from its plugin
// directories only, with argv passed as-is (never a shell).
Result<CheckReport> check_plugin(const CheckContext& context, CheckParams& params) {
  std::string plugin = params.required("plugin");
  if (auto s = params.status(); !s) return s.error();
  if (!is_plain_name(plugin))
    return make_error(Errc::invalid_argument, "param 'plugin': expected a plugin name without '/', got \"" + plugin + "\"");
  const auto& allowed = context.config.plugins;
  if (std::find(allowed.begin(), allowed.end(), plugin) == allowed.end())
    return make_error(Errc::refused, "param 'plugin': '" + plugin + "' is not in this worker's checks.plugins");
  auto program = locate(context.config.plugin_dirs, plugin);
  if (!program) {
    std::string dirs;
    for (const auto& dir : context.config.plugin_dirs) dirs += (dirs.empty() ? "" : ", ") + dir;
    return make_error(Errc::not_found, "plugin '" + plugin + "' is not an executable file in " + dirs);
  }

  sys::ProcessOptions options;
  options.argv.push_back(*program);
  options.argv.insert(options.argv.end(), context.args.begin(), context.args.end());
  options.timeout = context.budget();
  options.kill_grace = milliseconds(500);
  // Plugins parse and print numbers; a locale with decimal commas would
  // change both.
  options.env_overrides = {{"LC_ALL", "C"}};
  options.max_output_bytes = std::max<size_t>(64 * 1024, context.config.max_output_bytes * 16);
  auto run = sys::run_process(options);
  if (!run) return make_error(run.error().code, "cannot run " + *program + ": " + run.error().message);
  if (run->timed_out) return context.timed_out("running plugin " + plugin);

  std::string raw = run->out.empty() ? run->err : run->out;
  const bool lost_start = run->out.empty() ? run->stderr_truncated : run->stdout_truncated;
  if (lost_start) {
    // run_process keeps the tail of a flood, so the first line held is
    // likely a fragment; say so instead of passing it off as the summary.
    raw.erase(0, raw.find('\n') == std::string::npos ? 0 : raw.find('\n') + 1);
    raw.insert(0, "\xE2\x80\xA6 [plugin printed more than " + std::to_string(options.max_output_bytes) +
                      " bytes; its start is lost]\n");
  }
  PluginOutput output = split_plugin_output(raw);
  CheckReport report;
  report.perfdata = parse_perfdata(output.perfdata);
  report.output_truncated = lost_start;
  if (run->term_signal != 0) {
    report.state = CheckState::unknown;
    report.output = "plugin " + plugin + " " + sys::describe(*run) + (output.text.empty() ? "" : ": " + output.text);
    return report;
  }
  report.state = state_from_exit_code(run->exit_code);
  if (run->exit_code < 0 || run->exit_code > 3) {
    report.output = "plugin " + plugin + " exited " + std::to_string(run->exit_code) +
                    ", which is not a Nagios state (0-3)" + (output.text.empty() ? "" : ": " + output.text);
  } else if (output.text.empty()) {
    report.output = "plugin " + plugin + " printed nothing";
  } else {
    report.output = std::move(output.text);
  }
  return report;
}

}  // namespace baton::worker::checks
