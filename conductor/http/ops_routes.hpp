#pragma once

#include <functional>
#include <string>

#include "common/core/clock.hpp"
#include "common/http/router.hpp"
#include "conductor/http/case_routes.hpp"

namespace baton::conductor {

class OpsService;

// What the checks, maintenance, schedule, alert, DB and report routes share.
struct OpsRouteDeps {
  OpsService* ops = nullptr;  // every write and the configuration go through it
  StoreReader read;           // every read of results goes through it
  std::function<TimePoint()> now;
  std::string api_token;      // POST and DELETE need it when non-empty
  std::string database_path;  // the conductor DB, for /api/v1/db/*
};

// GET  /api/v1/checks                    ?state=&worker=&check= latest result per (worker, check)
// GET  /api/v1/checks/history            ?worker=&check=&command_id=&state=&limit= newest first
// GET  /api/v1/checks/config             the configured checks
// POST /api/v1/checks/{name}/run         {worker?} -> 202 {runs: [{worker_id, command_id}]}
// GET  /api/v1/maintenance/actions       the configured maintenance actions
// POST /api/v1/maintenance/{name}/run    {worker?, dry_run?} -> 202 {runs: [...]}
// GET  /api/v1/maintenance/runs          ?worker=&task=&command_id=&limit= newest first
// GET  /api/v1/schedules                 every (task, worker) with next_run, last_fired, last_outcome
void install_ops_routes(http::Router& router, const OpsRouteDeps& deps);

}  // namespace baton::conductor
