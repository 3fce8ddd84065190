#include <algorithm>
#include <cstdio>

#include "conductor/http/report.hpp"
#include "conductor/http/worker_json.hpp"

namespace baton::conductor {

namespace {

// A worker this busy gets a recommendation to move work off it.
constexpr double kBusyScore = 80;

enum Urgency { now_ = 0, soon = 1, plan = 2 };

struct Advice {
  Urgency urgency;
  std::string text;
};

std::string one_decimal(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

// "3h 20m", "2d 4h": how long something has been so.
std::string span(TimePoint from, TimePoint to) {
  const auto seconds = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h " + std::to_string(seconds % 3600 / 60) + "m";
  return std::to_string(seconds / 86400) + "d " + std::to_string(seconds % 86400 / 3600) + "h";
}

void advise_workers(const ReportInputs& inputs, TimePoint now, std::vector<Advice>& out) {
  for (const auto& worker : inputs.workers) {
    if (!worker.online) {
      if (expected_online(worker))
        out.push_back({now_, "Worker " + worker.id + " has been offline for " + span(worker.status_changed_at, now) +
                                 " (" + worker.offline_reason +
                                 "): check the host and its baton-worker service; its queued work waits."});
      continue;
    }
    const auto load = worker_load(worker);
    if (!load) continue;
    for (const auto& disk : load->disks) {
      const auto where = "Disk " + disk.path + " on " + worker.id + " is " + one_decimal(disk.used_percent) + "% full";
      if (disk.used_percent >= kDiskNowPercent)
        out.push_back({now_, where + " (over 95%): free space now (a cleanup or rotate action) or grow the volume."});
      else if (disk.used_percent >= kDiskSoonPercent)
        out.push_back({soon, where + " (over 90%): clean up soon."});
      else if (disk.used_percent >= kDiskPlanPercent)
        out.push_back({plan, where + " (over 80%): plan a cleanup or more space."});
    }
    if (const double score = health_score(*load); score >= kBusyScore)
      out.push_back({plan, "Worker " + worker.id + " is under heavy load (health score " + one_decimal(score) +
                               ", memory " + one_decimal(load->memory_percent) + "%, CPU " +
                               one_decimal(load->cpu_percent) + "%): move work off it or add capacity."});
  }
}

void advise_alerts(const ReportInputs& inputs, TimePoint now, std::vector<Advice>& out) {
  for (const auto& alert : inputs.open_alerts) {
    if (alert.severity != alerts::Severity::critical || alert.acknowledged) continue;
    out.push_back({now_, "Critical alert " + std::to_string(alert.id) + " (" + alert.key +
                             ") has been open and unacknowledged for " + span(alert.first_seen, now) +
                             ": fix the cause or acknowledge it (batonctl alert ack " + std::to_string(alert.id) +
                             " --comment ...)."});
  }
}

void advise_cases(const ReportInputs& inputs, TimePoint now, std::vector<Advice>& out) {
  for (const auto& problem : inputs.stuck_cases) {
    out.push_back({soon, "Case " + problem.case_id + " has been stuck for " + span(problem.at, now) +
                             (problem.worker_id.empty() ? "" : " on " + problem.worker_id) + " (" + problem.message +
                             "): look at the job, then retry or cancel it (batonctl case cancel " + problem.case_id +
                             ")."});
  }
}

void advise_backups(const ReportInputs& inputs, TimePoint now, std::vector<Advice>& out) {
  if (inputs.last_backup && now - *inputs.last_backup <= kBackupMaxAge) return;
  out.push_back({plan, inputs.last_backup
                           ? "The last successful sqlite_backup ran " + span(*inputs.last_backup, now) +
                                 " ago (" + format_rfc3339(*inputs.last_backup) +
                                 "): check the backup schedule and its recent runs (batonctl action runs)."
                           : std::string("No successful sqlite_backup run is recorded: schedule one under "
                                         "maintenance: in conductor.yaml, or take one now "
                                         "(batonctl db backup PATH).")});
}

}  // namespace

std::vector<std::string> recommendations(const ReportInputs& inputs, TimePoint now) {
  std::vector<Advice> advice;
  advise_workers(inputs, now, advice);
  advise_alerts(inputs, now, advice);
  advise_cases(inputs, now, advice);
  advise_backups(inputs, now, advice);
  std::stable_sort(advice.begin(), advice.end(),
                   [](const Advice& a, const Advice& b) { return a.urgency < b.urgency; });
  std::vector<std::string> out;
  out.reserve(advice.size());
  for (auto& item : advice) out.push_back(std::move(item.text));
  return out;
}

}  // namespace baton::conductor
