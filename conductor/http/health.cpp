#include "conductor/http/health.hpp"

namespace baton::conductor {

const char* to_string(HealthStatus status) {
  switch (status) {
    case HealthStatus::healthy: return "healthy";
    case HealthStatus::degraded: return "degraded";
    case HealthStatus::unhealthy: return "unhealthy";
  }
  return "unknown";
}

HealthVerdict evaluate_health(const HealthInputs& inputs) {
  HealthVerdict verdict;
  if (!inputs.database_up) {
    verdict.status = HealthStatus::unhealthy;
    verdict.reasons.push_back(inputs.database_error.empty() ? "database is down"
                                                            : "database is down: " + inputs.database_error);
  }
  if (!inputs.broker_connected) {
    verdict.status = HealthStatus::unhealthy;
    verdict.reasons.push_back("not connected to the broker");
  }
  if (verdict.status == HealthStatus::unhealthy) return verdict;

  if (inputs.workers.offline > 0) {
    verdict.status = HealthStatus::degraded;
    verdict.reasons.push_back(std::to_string(inputs.workers.offline) +
                              (inputs.workers.offline == 1 ? " worker is offline" : " workers are offline"));
  }
  if (inputs.workers.online == 0) {
    verdict.status = HealthStatus::degraded;
    verdict.reasons.push_back("no worker is online");
  }
  return verdict;
}

int http_status_for(HealthStatus status) { return status == HealthStatus::unhealthy ? 503 : 200; }

}  // namespace baton::conductor
