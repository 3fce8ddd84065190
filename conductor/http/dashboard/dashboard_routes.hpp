#pragma once

#include "common/http/router.hpp"

namespace baton::conductor {

// GET / (the dashboard page) and GET /dashboard/{file} (its CSS and script),
// served from the copies compiled into the binary. The page reads
// /api/v1/overview and listens on /api/v1/events.
void install_dashboard_routes(http::Router& router);

}  // namespace baton::conductor
