#include "conductor/http/overview_routes.hpp"

#include <algorithm>
#include <cmath>

#include "baton/events.pb.h"
#include "conductor/alerts/alert_store.hpp"
#include "conductor/http/alert_json.hpp"
#include "conductor/http/case_json.hpp"
#include "conductor/http/health.hpp"
#include "conductor/http/ops_json.hpp"
#include "conductor/http/report.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/http/worker_json.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

constexpr unsigned kThroughputMinutes = 30;
constexpr unsigned kRecentCases = 20;
constexpr size_t kActiveCasesShown = 100;
constexpr size_t kQueuedCasesShown = 20;

// Everything one overview reads, gathered in one pass over the store.
struct Snapshot {
  WorkerCounts worker_counts;
  std::vector<WorkerRecord> workers;
  std::map<std::string, unsigned> case_counts;
  std::vector<std::pair<CaseRecord, std::string>> active;  // with the current step's name
  std::vector<CaseRecord> queued;                          // next to be placed first
  std::vector<CaseRecord> recent;
  std::vector<unsigned> completed_per_minute;
  std::vector<alerts::AlertRecord> open_alerts;
  std::vector<CheckResultRecord> failing_checks;
};


std::string current_step_name(const std::vector<StepAttemptRecord>& attempts, unsigned step) {
  std::string name;
  for (const auto& attempt : attempts)
    if (attempt.step == step) name = attempt.step_name;  // the latest attempt's name wins
  return name;
}

Status read_active(ConductorStore& store, Snapshot& out) {
  auto active = store.active_cases();
  if (!active) return active.error();
  std::sort(active->begin(), active->end(), [](const auto& a, const auto& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.seq < b.seq;
  });
  for (const auto& record : *active)
    if (record.status == CaseStatus::queued && out.queued.size() < kQueuedCasesShown) out.queued.push_back(record);
  std::erase_if(*active, [](const CaseRecord& c) { return c.status == CaseStatus::queued; });
  if (active->size() > kActiveCasesShown) active->resize(kActiveCasesShown);
  for (auto& record : *active) {
    auto attempts = store.step_attempts(record.id);
    if (!attempts) return attempts.error();
    auto step = current_step_name(*attempts, record.current_step);
    out.active.emplace_back(std::move(record), std::move(step));
  }
  return {};
}

Status read_recent(ConductorStore& store, Snapshot& out) {
  auto stmt = store.db().prepare(
      "SELECT id FROM cases WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') ORDER BY updated_ms DESC, seq DESC "
      "LIMIT ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, kRecentCases);
  auto ids = sqlite::collect<std::string>(**stmt, [](const sqlite::Statement& row) { return row.column_text(0); });
  if (!ids) return ids.error();
  for (const auto& id : *ids) {
    auto found = store.find_case(id);
    if (!found) return found.error();
    if (*found) out.recent.push_back(std::move(**found));
  }
  return {};
}

Status read_snapshot(ConductorStore& store, TimePoint now, Snapshot& out) {
  auto counts = store.count_workers();
  if (!counts) return counts.error();
  out.worker_counts = *counts;
  auto workers = store.list_workers();
  if (!workers) return workers.error();
  out.workers = std::move(*workers);
  std::sort(out.workers.begin(), out.workers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  auto case_counts = store.count_cases_by_status();
  if (!case_counts) return case_counts.error();
  out.case_counts = std::move(*case_counts);
  if (auto st = read_active(store, out); !st) return st;
  if (auto st = read_recent(store, out); !st) return st;
  auto throughput = completed_per_minute(store, now, kThroughputMinutes);
  if (!throughput) return throughput.error();
  out.completed_per_minute = std::move(*throughput);
  auto open = alerts::AlertStore(store.db()).list_alerts(true, 100);
  if (!open) return open.error();
  out.open_alerts = std::move(*open);
  CheckFilter every;  // (a designated initializer draws -Wmissing-field-initializers from GCC 12)
  every.limit = 5000;
  auto latest = store.latest_checks(every);
  if (!latest) return latest.error();
  for (auto& c : *latest)
    if (c.state != CheckState::ok) out.failing_checks.push_back(std::move(c));
  return {};
}


json worker_json(const WorkerRecord& worker, TimePoint now) {
  auto out = worker_to_json(worker, now);
  out["heartbeat_age_s"] = out["heartbeat_age_seconds"];
  const auto score = worker_health_score(worker);
  out["health_score"] = score ? json(*score) : json(nullptr);
  return out;
}

json cases_json(const Snapshot& snapshot, TimePoint now) {
  json counts = json::object();
  for (const auto status : {CaseStatus::queued, CaseStatus::processing, CaseStatus::executing, CaseStatus::completed,
                            CaseStatus::failed, CaseStatus::cancelled}) {
    const auto it = snapshot.case_counts.find(to_string(status));
    counts[to_string(status)] = it == snapshot.case_counts.end() ? 0u : it->second;
  }
  json active = json::array();
  for (const auto& [record, step_name] : snapshot.active) {
    auto item = case_to_json(record, now);
    item["step_name"] = step_name;
    active.push_back(std::move(item));
  }
  json queued = json::array();
  for (const auto& record : snapshot.queued) queued.push_back(case_to_json(record, now));
  json recent = json::array();
  for (const auto& record : snapshot.recent) recent.push_back(case_to_json(record, now));
  return {{"counts", std::move(counts)},
          {"active", std::move(active)},
          {"queued", std::move(queued)},
          {"recent", std::move(recent)}};
}

http::ServerResponse overview(const OverviewDeps& deps) {
  const auto now = deps.now();
  Snapshot snapshot;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    if (auto st = store.ping(); !st) return st;
    return read_snapshot(store, now, snapshot);
  });
  if (!read) snapshot = {};  // half a read would show a mix of states that never existed together

  HealthInputs inputs;
  inputs.database_up = read.ok();
  if (!read) inputs.database_error = read.error().message;
  inputs.workers = snapshot.worker_counts;
  inputs.broker_connected = deps.broker_connected && deps.broker_connected();
  const auto verdict = evaluate_health(inputs);

  json database = {{"status", inputs.database_up ? "up" : "down"}};
  if (!inputs.database_up) database["error"] = inputs.database_error;
  const auto workers_status = !inputs.database_up          ? "unknown"
                              : inputs.workers.online == 0 ? "down"
                              : inputs.workers.offline > 0 ? "degraded"
                                                           : "up";
  json workers = json::array();
  for (const auto& worker : snapshot.workers) workers.push_back(worker_json(worker, now));

  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now - deps.started_at).count();
  const auto window_start = now - std::chrono::minutes(kThroughputMinutes);
  const json body = {
      {"conductor",
       {{"version", deps.version},
        {"started_at", format_rfc3339(deps.started_at)},
        {"uptime_s", std::max<int64_t>(0, uptime)},
        {"broker_connected", inputs.broker_connected}}},
      {"status", to_string(verdict.status)},
      {"reasons", verdict.reasons},
      {"components",
       {{"database", database},
        {"broker", {{"status", inputs.broker_connected ? "up" : "down"}}},
        {"workers",
         {{"status", workers_status}, {"online", inputs.workers.online}, {"offline", inputs.workers.offline}}}}},
      {"workers", std::move(workers)},
      {"cases", cases_json(snapshot, now)},
      {"alerts", {{"open", [&] {
                     json open = json::array();
                     for (const auto& a : snapshot.open_alerts) open.push_back(alert_to_json(a, now));
                     return open;
                   }()}}},
      {"checks", {{"failing", [&] {
                     json failing = json::array();
                     for (const auto& c : snapshot.failing_checks) failing.push_back(check_to_json(c, now, true));
                     return failing;
                   }()}}},
      {"throughput",
       {{"window_minutes", kThroughputMinutes},
        {"bucket_seconds", 60},
        {"since", format_rfc3339(window_start)},
        {"cases_completed_per_min", snapshot.completed_per_minute}}},
      {"management_url", deps.management_url},
  };
  return json_response(200, body);
}

}  // namespace

// One definition for the dashboard and the daily report (report.hpp).
std::optional<int> worker_health_score(const WorkerRecord& worker) {
  if (!worker.online) return std::nullopt;
  const auto load = worker_load(worker);
  if (!load) return std::nullopt;
  return static_cast<int>(std::lround(health_score(*load)));
}

Result<std::vector<unsigned>> completed_per_minute(ConductorStore& store, TimePoint now, unsigned minutes) {
  const auto end_ms = to_unix_ms(now);
  const auto start_ms = end_ms - static_cast<int64_t>(minutes) * 60'000;
  auto stmt = store.db().prepare(
      "SELECT (at_ms - ?1) / 60000, COUNT(*) FROM case_history "
      "WHERE status = 'COMPLETED' AND at_ms >= ?1 AND at_ms < ?2 GROUP BY 1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, start_ms).bind(2, end_ms);
  using Bucket = std::pair<int64_t, unsigned>;
  auto rows = sqlite::collect<Bucket>(**stmt, [](const sqlite::Statement& row) {
    return Bucket{row.column_int(0), static_cast<unsigned>(row.column_int(1))};
  });
  if (!rows) return rows.error();
  std::vector<unsigned> out(minutes, 0);
  for (const auto& [bucket, count] : *rows)
    if (bucket >= 0 && bucket < static_cast<int64_t>(minutes)) out[static_cast<size_t>(bucket)] += count;
  return out;
}

void install_overview_routes(http::Router& router, OverviewDeps deps) {
  if (!deps.now) deps.now = [] { return std::chrono::system_clock::now(); };
  auto d = std::make_shared<const OverviewDeps>(std::move(deps));
  router.add("GET", "/api/v1/overview", [d](const http::ServerRequest&) { return overview(*d); });
}

}  // namespace baton::conductor
