#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "common/http/router.hpp"
#include "conductor/http/case_routes.hpp"
#include "conductor/store/worker_record.hpp"

namespace baton::conductor {

struct OverviewDeps {
  StoreReader read;  // the API's read-only store
  std::function<TimePoint()> now;
  std::function<bool()> broker_connected;  // thread-safe; may be empty
  std::string version;
  TimePoint started_at{};
  std::string management_url;
};

// GET /api/v1/overview: everything the dashboard shows, in one read:
//   conductor   {version, started_at, uptime_s, broker_connected}
//   status, reasons, components   as /health computes them
//   workers     as /api/v1/workers items plus heartbeat_age_s and health_score
//   cases       {counts: {STATUS: n}, active: [PROCESSING/EXECUTING with step_name],
//                queued: [next 20 to be placed], recent: [last 20 finished]}
//   alerts      {open: []}, checks {failing: []}
//   throughput  {window_minutes, bucket_seconds, since, cases_completed_per_min: [oldest .. newest]}
//   management_url
void install_overview_routes(http::Router& router, OverviewDeps deps);

// How much room the host has left, from its latest heartbeat: 100 is idle,
// 0 is saturated. 100 - (0.4 x memory used % + 0.3 x CPU % + 0.3 x fullest
// disk %), rounded; memory weighs most because running out of it kills jobs,
// a full disk fails them, a busy CPU only slows them. Nothing when the worker
// is offline or has sent no usable sample.
std::optional<int> worker_health_score(const WorkerRecord& worker);

// Completed cases per minute for the `minutes` whole minutes before now,
// oldest first, from the case history.
Result<std::vector<unsigned>> completed_per_minute(ConductorStore& store, TimePoint now, unsigned minutes);

}  // namespace baton::conductor
