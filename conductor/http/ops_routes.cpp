#include "conductor/http/ops_routes.hpp"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "conductor/core/ops_service.hpp"
#include "conductor/http/ops_json.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

constexpr unsigned kMaxLimit = 1000;
// check_latest holds one row per (worker, check); this only bounds a
// pathological table.
constexpr unsigned kLatestLimit = 100'000;

using Deps = std::shared_ptr<const OpsRouteDeps>;
using Kind = TaskDefinition::Kind;

http::ServerResponse database_unavailable(const Error& error) {
  return http::json_error(503, "database unavailable: " + error.message);
}

std::string query_value(const http::ServerRequest& request, const char* key) {
  const auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

Result<CheckFilter> check_filter_from(const http::ServerRequest& request, unsigned fallback_limit, unsigned max) {
  CheckFilter filter;
  filter.worker_id = query_value(request, "worker");
  filter.check = query_value(request, "check");
  filter.command_id = query_value(request, "command_id");
  if (const auto state = query_value(request, "state"); !state.empty()) {
    filter.state = parse_check_state(state);
    if (!filter.state)
      return make_error(Errc::invalid_argument,
                        "unknown state \"" + state + "\" (valid: OK, WARNING, CRITICAL, UNKNOWN)");
  }
  auto limit = parse_limit(request.query, fallback_limit, max);
  if (!limit) return limit.error();
  filter.limit = *limit;
  return filter;
}

http::ServerResponse list_checks(const OpsRouteDeps& deps, const http::ServerRequest& request, bool latest) {
  auto filter =
      latest ? check_filter_from(request, kLatestLimit, kLatestLimit) : check_filter_from(request, 200, kMaxLimit);
  if (!filter) return error_response(filter.error());
  std::vector<CheckResultRecord> checks;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto found = latest ? store.latest_checks(*filter) : store.check_history(*filter);
    if (!found) return found.error();
    checks = std::move(*found);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  const auto now = deps.now();
  json out = json::array();
  for (const auto& check : checks) out.push_back(check_to_json(check, now, latest));
  return json_response(200, json{{"checks", std::move(out)}});
}

http::ServerResponse list_tasks(const OpsRouteDeps& deps, Kind kind) {
  auto tasks = deps.ops->tasks();
  if (!tasks) return error_response(tasks.error());
  std::sort(tasks->begin(), tasks->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  json out = json::array();
  for (const auto& task : *tasks)
    if (task.kind == kind) out.push_back(task_to_json(task));
  return json_response(200, json{{kind == Kind::check ? "checks" : "actions", std::move(out)}});
}

http::ServerResponse run_task(const OpsRouteDeps& deps, Kind kind, const http::ServerRequest& request) {
  const auto& name = request.params.at("name");
  auto body = kind == Kind::check ? parse_object_body(request.body, {"worker"})
                                  : parse_object_body(request.body, {"worker", "dry_run"});
  if (!body) return error_response(body.error());
  auto worker = optional_string(*body, "worker");
  if (!worker) return error_response(worker.error());
  auto dry_run = optional_bool(*body, "dry_run");
  if (!dry_run) return error_response(dry_run.error());
  auto runs = deps.ops->run_task(kind, name, worker->value_or(""), *dry_run);
  if (!runs) return error_response(runs.error());
  json answer = {{"task", name}, {"kind", to_string(kind)}, {"runs", triggered_runs_to_json(*runs)}};
  if (*dry_run) answer["dry_run"] = **dry_run;
  return json_response(202, answer);
}

http::ServerResponse list_maintenance_runs(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  MaintenanceFilter filter;
  filter.worker_id = query_value(request, "worker");
  filter.task = query_value(request, "task");
  filter.command_id = query_value(request, "command_id");
  auto limit = parse_limit(request.query, 100, kMaxLimit);
  if (!limit) return error_response(limit.error());
  filter.limit = *limit;
  std::vector<MaintenanceRunRecord> runs;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto found = store.maintenance_runs(filter);
    if (!found) return found.error();
    runs = std::move(*found);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  json out = json::array();
  for (const auto& run : runs) out.push_back(maintenance_run_to_json(run));
  return json_response(200, json{{"runs", std::move(out)}});
}

http::ServerResponse list_schedules(const OpsRouteDeps& deps) {
  auto targets = deps.ops->schedules();
  if (!targets) return error_response(targets.error());
  std::sort(targets->begin(), targets->end(), [](const auto& a, const auto& b) {
    return std::tie(a.task, a.worker_id) < std::tie(b.task, b.worker_id);
  });
  json out = json::array();
  for (const auto& target : *targets) out.push_back(scheduled_target_to_json(target));
  return json_response(200, json{{"schedules", std::move(out)}});
}

}  // namespace

void install_ops_routes(http::Router& router, const OpsRouteDeps& deps_in) {
  auto copy = deps_in;
  if (!copy.now) copy.now = [] { return std::chrono::system_clock::now(); };
  const Deps d = std::make_shared<const OpsRouteDeps>(std::move(copy));
  const auto& token = d->api_token;

  router.add("GET", "/api/v1/checks", [d](const http::ServerRequest& r) { return list_checks(*d, r, true); });
  router.add("GET", "/api/v1/checks/history",
             [d](const http::ServerRequest& r) { return list_checks(*d, r, false); });
  router.add("GET", "/api/v1/checks/config", [d](const http::ServerRequest&) { return list_tasks(*d, Kind::check); });
  router.add("POST", "/api/v1/checks/{name}/run",
             require_token(token, [d](const http::ServerRequest& r) { return run_task(*d, Kind::check, r); }));

  router.add("GET", "/api/v1/maintenance/actions",
             [d](const http::ServerRequest&) { return list_tasks(*d, Kind::maintenance); });
  router.add("GET", "/api/v1/maintenance/runs",
             [d](const http::ServerRequest& r) { return list_maintenance_runs(*d, r); });
  router.add("POST", "/api/v1/maintenance/{name}/run",
             require_token(token, [d](const http::ServerRequest& r) { return run_task(*d, Kind::maintenance, r); }));

  router.add("GET", "/api/v1/schedules", [d](const http::ServerRequest&) { return list_schedules(*d); });
}

}  // namespace baton::conductor
