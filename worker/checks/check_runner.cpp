#include "worker/checks/check_runner.hpp"

#include <exception>
#include <utility>


namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

CheckOutcome unknown(std::string why) {
  CheckOutcome outcome;
  outcome.state = CheckState::unknown;
  outcome.output = std::move(why);
  return outcome;
}

// Cuts at a UTF-8 character boundary so the marker never follows half a
// character.
size_t utf8_cut(const std::string& text, size_t limit) {
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
  return limit;
}

}  // namespace

CheckRunner::CheckRunner(ChecksConfig config, CheckEnvironment environment)
    : config_(std::move(config)),
      checks_{
          {"cpu", check_cpu},         {"disk", check_disk},
          {"file", check_file},       {"gpu", check_gpu},
          {"http", check_http},       {"logscan", check_logscan},
          {"memory", check_memory},   {"process", check_process},
          {"rabbitmq_queue", check_rabbitmq_queue}, {"sqlite", check_sqlite},
          {"tcp", check_tcp},
          // Operators say "plugin" and "nagios" for the same thing.
          {"plugin", check_plugin},   {"nagios", check_plugin},
      },
      environment_(std::move(environment)) {}

void CheckRunner::add_check(const std::string& type, CheckFunction check) { checks_[type] = std::move(check); }

std::vector<std::string> CheckRunner::types() const {
  std::vector<std::string> names;
  for (const auto& [name, check] : checks_) names.push_back(name);
  return names;
}

CheckOutcome CheckRunner::run(const CheckRequest& request) noexcept {
  const auto started = steady_clock::now();
  milliseconds timeout = request.timeout.count() > 0 ? std::min(request.timeout, config_.max_timeout)
                                                     : config_.default_timeout;
  CheckOutcome outcome;
  try {
    outcome = execute(request, timeout);
  } catch (const std::exception& e) {
    outcome = unknown("internal error in " + request.type + " check: " + e.what());
  } catch (...) {
    outcome = unknown("internal error in " + request.type + " check");
  }
  try {
    cap_output(outcome);
  } catch (...) {
    outcome.output.clear();
  }
  outcome.duration = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
  return outcome;
}

CheckOutcome CheckRunner::execute(const CheckRequest& request, milliseconds timeout) {
  auto it = checks_.find(request.type);
  if (it == checks_.end()) {
    std::string known;
    for (const auto& name : types()) known += (known.empty() ? "" : ", ") + name;
    return unknown("unknown check type '" + request.type + "' (known: " + known + ")");
  }
  const Clock& clock = environment_.clock ? *environment_.clock : system_clock_;
  CheckContext context{config_,         clock,   environment_.proc_root, request.args,
                       timeout,         steady_clock::now() + timeout,  state_mutex_};
  CheckParams params(request.params);
  Result<CheckReport> report = it->second(context, params);

  CheckOutcome outcome;
  if (!report) {
    outcome = unknown(request.type + ": " + report.error().message);
    return outcome;
  }
  outcome.state = report->state;
  outcome.output = std::move(report->output);
  outcome.perfdata = std::move(report->perfdata);
  outcome.output_truncated = report->output_truncated;
  return outcome;
}

void CheckRunner::cap_output(CheckOutcome& outcome) const {
  const size_t limit = config_.max_output_bytes;
  if (outcome.output.size() <= limit) return;
  const std::string marker = "\xE2\x80\xA6 [output truncated at " + std::to_string(limit) + " bytes]";
  // The marker counts toward the limit, so the lead can size messages by it.
  size_t keep = limit > marker.size() ? utf8_cut(outcome.output, limit - marker.size()) : 0;
  outcome.output.resize(keep);
  outcome.output += marker;
  outcome.output_truncated = true;
}

}  // namespace baton::worker::checks
