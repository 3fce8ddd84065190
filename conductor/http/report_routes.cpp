#include "conductor/http/report_routes.hpp"

#include <algorithm>
#include <memory>

#include "conductor/alerts/alert_store.hpp"
#include "conductor/http/report.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

namespace {

// Bounds on what one report reads; far beyond any real fleet.
constexpr unsigned kMaxChecks = 100'000;
constexpr unsigned kMaxProblems = 10'000;

Result<std::optional<TimePoint>> last_successful_backup(ConductorStore& store) {
  auto stmt = store.db().prepare(
      "SELECT MAX(finished_ms) FROM maintenance_runs "
      "WHERE action = 'sqlite_backup' AND status = 'OK' AND dry_run = 0");
  if (!stmt) return stmt.error();
  auto& s = **stmt;
  auto row = s.step();
  std::optional<TimePoint> at;
  if (row && *row && !s.column_is_null(0)) at = from_unix_ms(s.column_int(0));
  // A statement left mid-result would hold this connection's read snapshot open.
  s.reset();
  if (!row) return row.error();
  return at;
}

Result<std::vector<CaseProblemRow>> still_stuck(ConductorStore& store, TimePoint now) {
  auto problems = store.case_problems(now - kStuckLookback, kMaxProblems);
  if (!problems) return problems.error();
  std::map<std::string, CaseProblemRow> newest;
  for (auto& problem : *problems)
    if (problem.kind == "stuck") newest[problem.case_id] = std::move(problem);  // oldest first, so the last wins
  std::vector<CaseProblemRow> out;
  for (auto& [id, problem] : newest) {
    auto found = store.find_case(id);
    if (!found) return found.error();
    if (!*found) continue;
    const auto status = (*found)->status;
    if (status == CaseStatus::processing || status == CaseStatus::executing) out.push_back(std::move(problem));
  }
  return out;
}

}  // namespace

Result<ReportInputs> gather_report_inputs(ConductorStore& store, TimePoint now) {
  ReportInputs in;
  auto workers = store.list_workers();
  if (!workers) return workers.error();
  in.workers = std::move(*workers);
  CheckFilter all;
  all.limit = kMaxChecks;
  auto checks = store.latest_checks(all);
  if (!checks) return checks.error();
  in.latest_checks = std::move(*checks);
  auto alerts = alerts::AlertStore(store.db()).list_alerts(true, -1);
  if (!alerts) return alerts.error();
  in.open_alerts = std::move(*alerts);
  auto counts = store.count_cases_by_status();
  if (!counts) return counts.error();
  in.case_counts = std::move(*counts);
  auto stuck = still_stuck(store, now);
  if (!stuck) return stuck.error();
  in.stuck_cases = std::move(*stuck);
  auto backup = last_successful_backup(store);
  if (!backup) return backup.error();
  in.last_backup = *backup;
  return in;
}

void install_report_routes(http::Router& router, const OpsRouteDeps& deps_in) {
  auto d = std::make_shared<const OpsRouteDeps>(deps_in);
  router.add("GET", "/api/v1/report", [d](const http::ServerRequest&) {
    const auto now = d->now ? d->now() : std::chrono::system_clock::now();
    ReportInputs inputs;
    const auto read = d->read([&](ConductorStore& store) -> Status {
      auto gathered = gather_report_inputs(store, now);
      if (!gathered) return gathered.error();
      inputs = std::move(*gathered);
      return {};
    });
    if (!read) return http::json_error(503, "database unavailable: " + read.error().message);
    return json_response(200, build_health_report(inputs, now));
  });
}

}  // namespace baton::conductor
