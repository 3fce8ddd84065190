#pragma once

#include "common/http/router.hpp"
#include "conductor/http/ops_routes.hpp"

namespace baton::conductor {

// GET /api/v1/report: the daily health report (see report.hpp), read from
// the API's read-only store in one pass.
void install_report_routes(http::Router& router, const OpsRouteDeps& deps);

}  // namespace baton::conductor
