#include "conductor/http/api.hpp"

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/log/logging.hpp"
#include "conductor/http/alert_routes.hpp"
#include "conductor/http/case_routes.hpp"
#include "conductor/http/dashboard/dashboard_routes.hpp"
#include "conductor/http/db_routes.hpp"
#include "conductor/http/health.hpp"
#include "conductor/http/metrics_routes.hpp"
#include "conductor/http/ops_routes.hpp"
#include "conductor/http/overview_routes.hpp"
#include "conductor/http/report_routes.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/http/worker_json.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

using nlohmann::json;

struct ConductorApi::State {
  ApiDeps deps;
  std::mutex mu;  // the server has one thread; this only guards tests calling handlers directly
  std::unique_ptr<ConductorStore> store;

  // The store is dropped after any failure: a database file replaced or
  // briefly unreadable is picked up again on the next request.
  template <class Fn>
  auto with_store(Fn fn) -> decltype(fn(std::declval<ConductorStore&>())) {
    std::lock_guard lock(mu);
    if (!store) {
      auto opened = ConductorStore::open(deps.database_path, /*read_only=*/true);
      if (!opened) return opened.error();
      store = std::move(*opened);
    }
    auto result = fn(*store);
    if (!result) {
      log::logger("http")->warn("database {}: {}", deps.database_path, result.error().message);
      store.reset();
    }
    return result;
  }

  TimePoint now() const { return deps.clock ? deps.clock->now() : std::chrono::system_clock::now(); }
};

namespace {

http::ServerResponse health(ConductorApi::State& state) {
  HealthInputs inputs;
  auto counts = state.with_store([](ConductorStore& store) -> Result<WorkerCounts> {
    if (auto st = store.ping(); !st) return st.error();
    return store.count_workers();
  });
  inputs.database_up = counts.ok();
  if (counts) {
    inputs.workers = *counts;
  } else {
    inputs.database_error = counts.error().message;
  }
  inputs.broker_connected = state.deps.broker_connected && state.deps.broker_connected();
  const auto verdict = evaluate_health(inputs);

  json database = {{"status", inputs.database_up ? "up" : "down"}};
  if (!inputs.database_up) database["error"] = inputs.database_error;
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(state.now() - state.deps.started_at);
  const json body = {
      {"status", to_string(verdict.status)},
      {"version", state.deps.version},
      {"uptime_seconds", std::max<int64_t>(0, uptime.count())},
      {"components",
       {{"database", database},
        {"broker", {{"status", inputs.broker_connected ? "up" : "down"}}},
        {"workers", {{"online", inputs.workers.online}, {"offline", inputs.workers.offline}}}}},
      {"reasons", verdict.reasons},
  };
  return json_response(http_status_for(verdict.status), body);
}

http::ServerResponse list_workers(ConductorApi::State& state) {
  auto workers = state.with_store([](ConductorStore& store) { return store.list_workers(); });
  if (!workers) return http::json_error(503, "database unavailable: " + workers.error().message);
  std::sort(workers->begin(), workers->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const auto now = state.now();
  json list = json::array();
  for (const auto& worker : *workers) list.push_back(worker_to_json(worker, now));
  return json_response(200, json{{"workers", std::move(list)}});
}

http::ServerResponse show_worker(ConductorApi::State& state, const std::string& id) {
  auto worker = state.with_store([&id](ConductorStore& store) { return store.find_worker(id); });
  if (!worker) return http::json_error(503, "database unavailable: " + worker.error().message);
  if (!worker->has_value()) return http::json_error(404, "no worker named " + id);
  return json_response(200, worker_to_json(**worker, state.now()));
}

}  // namespace

ConductorApi::ConductorApi(ApiDeps deps) : state_(std::make_shared<State>()) { state_->deps = std::move(deps); }

void ConductorApi::install(http::Router& router) {
  auto state = state_;
  router.add("GET", "/health", [state](const http::ServerRequest&) { return health(*state); });
  router.add("GET", "/api/v1/workers", [state](const http::ServerRequest&) { return list_workers(*state); });
  router.add("GET", "/api/v1/workers/{id}",
             [state](const http::ServerRequest& request) { return show_worker(*state, request.params.at("id")); });
  const StoreReader read = [state](const std::function<Status(ConductorStore&)>& fn) { return state->with_store(fn); };
  const auto now = [state] { return state->now(); };
  const auto& deps = state->deps;

  OverviewDeps overview{read, now, deps.broker_connected, deps.version, deps.started_at, deps.management_url};
  install_overview_routes(router, std::move(overview));
  install_metrics_routes(router, MetricsRouteDeps{deps.metrics, read, now, deps.broker_connected, deps.events,
                                                  deps.version, deps.started_at});
  install_dashboard_routes(router);
  if (deps.events) {
    router.add("GET", "/api/v1/events",
               [events = deps.events](const http::ServerRequest&) { return http::open_event_stream(events); });
  }

  if (state->deps.cases) {
    CaseRouteDeps cases;
    cases.cases = state->deps.cases;
    cases.read = read;
    cases.now = now;
    cases.api_token = state->deps.api_token;
    install_case_routes(router, std::move(cases));
  }

  OpsRouteDeps ops{deps.ops, read, now, deps.api_token, deps.database_path};
  if (deps.ops) {
    install_ops_routes(router, ops);
    install_alert_routes(router, ops);
  }
  install_db_routes(router, ops);
  install_report_routes(router, ops);
}

}  // namespace baton::conductor
