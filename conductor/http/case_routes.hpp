#pragma once

#include <functional>
#include <string>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "common/http/router.hpp"

namespace baton::conductor {

class CaseService;
class ConductorStore;

// Runs a read against the API's read-only store and returns what it returned.
using StoreReader = std::function<Status(const std::function<Status(ConductorStore&)>&)>;

struct CaseRouteDeps {
  CaseService* cases = nullptr;  // every write goes through it
  StoreReader read;              // every read goes through it
  std::function<TimePoint()> now;
  std::string api_token;  // mutating calls need it when non-empty
};

// POST /api/v1/cases                 submit (201 created, 200 seen before)
// GET  /api/v1/cases                 ?status=&workflow=&limit= (newest first)
// GET  /api/v1/cases/{id}            with history and attempts
// POST /api/v1/cases/{id}/cancel     {"reason"?} -> 202
// POST /api/v1/cases/{id}/retry      -> 202
void install_case_routes(http::Router& router, CaseRouteDeps deps);

}  // namespace baton::conductor
