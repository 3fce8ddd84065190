#include <algorithm>

#include "common/sys/process.hpp"
#include "worker/checks/builtin_checks.hpp"
#include "worker/resources/gpu_probe.hpp"

namespace baton::worker::checks {
namespace {

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line.substr(0, 200);
}

}  // namespace

Result<CheckReport> check_gpu(const CheckContext& context, CheckParams& params) {
  Thresholds util = params.thresholds("util_warning", "util_critical");
  Thresholds memory = params.thresholds("mem_warning", "mem_critical");
  Thresholds temperature = params.thresholds("temp_warning", "temp_critical", "85", "95");
  // A host without GPUs is reported, not alarmed: the same check runs on
  // every host of a pool.
  CheckState absent = params.state("absent", CheckState::ok);
  if (auto s = params.status(); !s) return s.error();

  sys::ProcessOptions options;
  options.argv = {context.config.nvidia_smi, "--query-gpu=" + std::string(kNvidiaSmiQuery),
                  "--format=csv,noheader,nounits"};
  options.timeout = context.budget();
  options.kill_grace = std::chrono::milliseconds(500);
  options.env_overrides = {{"LC_ALL", "C"}};
  auto run = sys::run_process(options);
  if (!run) {
    if (run.error().code == Errc::not_found) {
      CheckReport report;
      report.state = absent;
      report.output = "no GPU present: " + context.config.nvidia_smi + " not found";
      return report;
    }
    return make_error(run.error().code, "cannot run " + context.config.nvidia_smi + ": " + run.error().message);
  }
  if (run->timed_out) return context.timed_out("waiting for " + context.config.nvidia_smi);
  if (run->exit_code != 0) {
    std::string detail = first_line(run->out.empty() ? run->err : run->out);
    return make_error(Errc::unavailable,
                      "nvidia-smi " + sys::describe(*run) + (detail.empty() ? "" : ": " + detail));
  }

  std::string parse_error;
  auto gpus = parse_nvidia_smi_csv(run->out, &parse_error);
  if (gpus.empty()) {
    if (!parse_error.empty()) return make_error(Errc::decode, "unexpected nvidia-smi output: " + parse_error);
    CheckReport report;
    report.state = absent;
    report.output = "no GPU present: nvidia-smi lists none";
    return report;
  }

  Verdict verdict;
  if (!parse_error.empty()) verdict.raise(CheckState::unknown, "unexpected nvidia-smi output: " + parse_error);
  std::string summary = std::to_string(gpus.size()) + " GPU(s)";
  for (const auto& gpu : gpus) {
    const auto& status = gpu.status;
    const std::string prefix = "gpu" + std::to_string(status.index()) + "_";
    const double total = static_cast<double>(status.memory_total_mib());
    const double mem_percent = total > 0 ? static_cast<double>(status.memory_used_mib()) * 100 / total : 0;
    verdict.measure(prefix + "util", status.utilization_percent(), "%", util, 0.0, 100.0);
    verdict.measure(prefix + "mem", mem_percent, "%", memory, 0.0, 100.0);
    verdict.measure(prefix + "temp", status.temperature_celsius(), "C", temperature);
    summary += "; " + std::to_string(status.index()) + " " + gpu.info.name() + ": " +
               short_number(status.utilization_percent()) + "% util, mem " + short_number(mem_percent) + "%, " +
               short_number(status.temperature_celsius()) + "C";
  }
  return verdict.report(summary);
}

}  // namespace baton::worker::checks
