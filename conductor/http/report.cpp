#include "conductor/http/report.hpp"

#include <algorithm>
#include <cmath>

#include "baton/events.pb.h"
#include "conductor/http/alert_json.hpp"
#include "conductor/http/ops_json.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

double percent(double part, double whole) { return whole > 0 ? std::clamp(100.0 * part / whole, 0.0, 100.0) : 0.0; }
double one_decimal(double value) { return std::round(value * 10.0) / 10.0; }

const char* worker_status(const WorkerRecord& worker) {
  return !worker.online ? "offline" : worker.draining ? "draining" : "online";
}

json worker_json(const WorkerRecord& worker, const std::vector<CheckResultRecord>& checks) {
  json failing = json::array();
  for (const auto& check : checks)
    if (check.worker_id == worker.id && check.state != CheckState::ok)
      failing.push_back({{"check", check.check}, {"state", to_string(check.state)}});
  json out = {
      {"id", worker.id},
      {"hostname", worker.hostname},
      {"status", worker_status(worker)},
      {"labels", worker.labels},
      {"slots", worker.slots},
      {"last_seen", time_or_null(worker.last_seen)},
      {"health_score", nullptr},
      {"cpu_percent", nullptr},
      {"memory_percent", nullptr},
      {"load1", nullptr},
      {"load_percent", nullptr},
      {"disks", json::array()},
      {"failing_checks", std::move(failing)},
  };
  if (!worker.online) {
    out["offline_reason"] = worker.offline_reason;
    out["expected_online"] = expected_online(worker);
  }
  const auto load = worker_load(worker);
  if (!load) return out;
  // A stopped worker's last heartbeat says nothing about the host now.
  if (worker.online) out["health_score"] = health_score(*load);
  out["cpu_percent"] = one_decimal(load->cpu_percent);
  out["memory_percent"] = one_decimal(load->memory_percent);
  out["load1"] = load->load1;
  out["load_percent"] = one_decimal(load->load_percent);
  out["cores_assumed"] = load->cores;
  for (const auto& disk : load->disks)
    out["disks"].push_back({{"path", disk.path},
                            {"used_percent", one_decimal(disk.used_percent)},
                            {"used_bytes", disk.used_bytes},
                            {"total_bytes", disk.total_bytes}});
  return out;
}

json failing_check_json(const CheckResultRecord& check, TimePoint now) {
  return {{"worker_id", check.worker_id},
          {"check", check.check},
          {"state", to_string(check.state)},
          {"output", check.output},
          {"since", time_or_null(check.state_since)},
          {"for_seconds", std::chrono::duration<double>(now - check.state_since).count()},
          {"consecutive", check.consecutive}};
}

}  // namespace

std::optional<WorkerLoad> worker_load(const WorkerRecord& worker) {
  v1::Resources resources;
  if (worker.resources_pb.empty() || !resources.ParseFromString(worker.resources_pb)) return std::nullopt;
  if (resources.memory_total_bytes() == 0) return std::nullopt;
  WorkerLoad load;
  const auto total = static_cast<double>(resources.memory_total_bytes());
  const auto available =
      static_cast<double>(std::min(resources.memory_available_bytes(), resources.memory_total_bytes()));
  load.memory_percent = percent(total - available, total);
  load.cpu_percent = std::clamp(resources.cpu_percent(), 0.0, 100.0);
  load.cores = std::max(1u, worker.slots);
  load.load1 = resources.load1();
  load.load_percent = std::clamp(resources.load1() / load.cores * 100.0, 0.0, 100.0);
  for (const auto& disk : resources.disks()) {
    if (disk.total_bytes() == 0) continue;
    const double used_percent =
        percent(static_cast<double>(disk.used_bytes()), static_cast<double>(disk.total_bytes()));
    load.disks.push_back({disk.path(), used_percent, disk.used_bytes(), disk.total_bytes()});
  }
  return load;
}

double health_score(const WorkerLoad& load) {
  return one_decimal(0.4 * load.memory_percent + 0.3 * load.cpu_percent + 0.3 * load.load_percent);
}

bool expected_online(const WorkerRecord& worker) {
  return worker.online || worker.offline_reason.rfind("worker stopped", 0) != 0;
}

const char* to_string(OverallStatus status) {
  switch (status) {
    case OverallStatus::healthy:
      return "healthy";
    case OverallStatus::degraded:
      return "degraded";
    case OverallStatus::unhealthy:
      return "unhealthy";
  }
  return "unhealthy";
}

OverallVerdict overall_status(const ReportInputs& inputs) {
  OverallVerdict verdict;
  const auto raise = [&verdict](OverallStatus to, std::string reason) {
    verdict.status = std::max(verdict.status, to);
    verdict.reasons.push_back(std::move(reason));
  };
  for (const auto& worker : inputs.workers)
    if (!worker.online && expected_online(worker))
      raise(OverallStatus::unhealthy, "worker " + worker.id + " is offline: " + worker.offline_reason);
  for (const auto& check : inputs.latest_checks) {
    if (check.state == CheckState::ok) continue;
    raise(check.state == CheckState::critical ? OverallStatus::unhealthy : OverallStatus::degraded,
          "check " + check.check + " on " + check.worker_id + " is " + to_string(check.state));
  }
  for (const auto& alert : inputs.open_alerts) {
    const bool critical = alert.severity == alerts::Severity::critical;
    raise(critical ? OverallStatus::unhealthy : OverallStatus::degraded,
          std::string(to_string(alert.severity)) + " alert " + std::to_string(alert.id) + " (" + alert.key +
              ") is open");
  }
  return verdict;
}

json build_health_report(const ReportInputs& inputs, TimePoint now) {
  const auto verdict = overall_status(inputs);
  std::vector<WorkerRecord> workers = inputs.workers;
  std::sort(workers.begin(), workers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  json worker_list = json::array();
  for (const auto& worker : workers) worker_list.push_back(worker_json(worker, inputs.latest_checks));

  json failing = json::array();
  for (const auto& check : inputs.latest_checks)
    if (check.state != CheckState::ok) failing.push_back(failing_check_json(check, now));
  json alerts = json::array();
  for (const auto& alert : inputs.open_alerts) alerts.push_back(alert_to_json(alert, now));

  json counts = json::object();
  for (const auto status : {CaseStatus::queued, CaseStatus::processing, CaseStatus::executing, CaseStatus::completed,
                            CaseStatus::failed, CaseStatus::cancelled}) {
    const auto it = inputs.case_counts.find(to_string(status));
    counts[to_string(status)] = it == inputs.case_counts.end() ? 0u : it->second;
  }
  json stuck = json::array();
  for (const auto& problem : inputs.stuck_cases)
    stuck.push_back({{"case_id", problem.case_id},
                     {"step", problem.step},
                     {"attempt", problem.attempt},
                     {"worker_id", problem.worker_id},
                     {"message", problem.message},
                     {"at", time_or_null(problem.at)}});

  return {
      {"generated_at", time_or_null(now)},
      {"overall_status", to_string(verdict.status)},
      {"status_reasons", verdict.reasons},
      {"overall_status_rule", kOverallStatusRule},
      {"health_score_formula", kHealthScoreFormula},
      {"workers", std::move(worker_list)},
      {"failing_checks", std::move(failing)},
      {"open_alerts", std::move(alerts)},
      {"cases", {{"counts", std::move(counts)}, {"stuck", std::move(stuck)}}},
      {"last_backup", time_or_null(inputs.last_backup)},
      {"recommendations", recommendations(inputs, now)},
  };
}

}  // namespace baton::conductor
