#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/core/clock.hpp"
#include "common/http/event_stream.hpp"
#include "common/http/router.hpp"
#include "conductor/config.hpp"

namespace baton::metrics {
class Registry;
}

namespace baton::conductor {

class CaseService;
class OpsService;

struct ApiDeps {
  std::string database_path;
  std::function<bool()> broker_connected;  // called on the HTTP thread; must be thread-safe
  const Clock* clock = nullptr;
  std::string version;
  TimePoint started_at{};
  WorkersConfig workers;
  std::string management_url;
  CaseService* cases = nullptr;            // the case routes are installed only with it; must outlive the server
  OpsService* ops = nullptr;               // checks, maintenance and alert routes; likewise
  std::string api_token;                   // mutating calls need "Authorization: Bearer <token>" when set
  metrics::Registry* metrics = nullptr;    // rendered by GET /metrics; must outlive the server
  std::shared_ptr<http::EventHub> events;  // GET /api/v1/events is installed only with it
};

// The conductor's API: GET /health, /api/v1/workers, /api/v1/workers/{id},
// /api/v1/overview, /metrics, the dashboard at /, with an EventHub the event
// stream /api/v1/events, with a CaseService the case routes (see
// case_routes.hpp), with an OpsService the check, maintenance, schedule and
// alert routes (ops_routes.hpp, alert_routes.hpp), and always /api/v1/db/*
// (db_routes.hpp) and /api/v1/report (report_routes.hpp). It reads
// through its own read-only store, opened on first use on the
// server's thread and reopened after an error, so it never competes with the
// core's connection. Handlers keep the API's state alive, so the ConductorApi
// object itself may go away once installed.
class ConductorApi {
 public:
  explicit ConductorApi(ApiDeps deps);
  void install(http::Router& router);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace baton::conductor
