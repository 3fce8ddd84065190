#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/core/clock.hpp"
#include "conductor/store/worker_record.hpp"

namespace baton::conductor {

// RFC 3339 in UTC with milliseconds: 2024-05-01T12:00:00.250Z.
std::string format_rfc3339(TimePoint t);

// A worker as the API and the dashboard show it; ages are relative to now.
nlohmann::json worker_to_json(const WorkerRecord& worker, TimePoint now);

}  // namespace baton::conductor
