#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "common/http/event_stream.hpp"
#include "common/http/router.hpp"
#include "common/metrics/snapshot.hpp"
#include "conductor/http/case_routes.hpp"

namespace baton::metrics {
class Registry;
}

namespace baton::conductor {

class ConductorStore;

struct MetricsRouteDeps {
  metrics::Registry* registry = nullptr;  // the process's metrics; may be null
  StoreReader read;                       // the API's read-only store
  std::function<TimePoint()> now;
  std::function<bool()> broker_connected;  // thread-safe; may be empty
  std::shared_ptr<http::EventHub> events;  // may be null
  std::string version;
  TimePoint started_at{};
};

// GET /metrics: the registry plus what only the database knows, read at
// scrape time (see database_metrics). A database that cannot be read gives
// baton_database_up 0 and the rest of the scrape, never an error page: the
// scrape failing would hide exactly the metrics that say why.
void install_metrics_routes(http::Router& router, MetricsRouteDeps deps);

// Cases by status, workers by state, and per online worker its latest
// heartbeat's resources (CPU, memory, load, disks, GPUs) and heartbeat age.
Result<std::vector<metrics::FamilySnapshot>> database_metrics(ConductorStore& store, TimePoint now);

}  // namespace baton::conductor
