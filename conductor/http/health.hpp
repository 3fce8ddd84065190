#pragma once

#include <string>
#include <vector>

#include "conductor/store/worker_record.hpp"

namespace baton::conductor {

enum class HealthStatus { healthy, degraded, unhealthy };

const char* to_string(HealthStatus status);

struct HealthInputs {
  bool database_up = false;
  std::string database_error;
  bool broker_connected = false;
  WorkerCounts workers;
};

struct HealthVerdict {
  HealthStatus status = HealthStatus::healthy;
  std::vector<std::string> reasons;  // why it is not healthy, for humans
};

// Without its database or its broker the conductor can supervise nothing, so
// either being down is unhealthy. Missing workers only degrade it: it still
// records and queues work for them.
HealthVerdict evaluate_health(const HealthInputs& inputs);

// 503 only when unhealthy, so load balancers keep a degraded conductor.
int http_status_for(HealthStatus status);

}  // namespace baton::conductor
