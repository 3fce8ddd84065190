#pragma once

#include "common/http/router.hpp"
#include "conductor/http/ops_routes.hpp"

namespace baton::conductor {

// GET    /api/v1/alerts                      ?all=1&limit= open ones unless all=1, newest first
// GET    /api/v1/alerts/{id}                 with its events and notification attempts
// POST   /api/v1/alerts/{id}/ack             {comment, author?, until?: "2h" | ISO-8601}
// GET    /api/v1/silences                    the silences not yet over
// POST   /api/v1/silences                    see silence_from_json -> 201
// DELETE /api/v1/silences/{id}               ends it now
// GET    /api/v1/maintenance-windows         the windows not yet over
// POST   /api/v1/maintenance-windows         see maintenance_window_from_json -> 201
// DELETE /api/v1/maintenance-windows/{id}    ends it now
// GET    /api/v1/remediations                ?limit= newest first
void install_alert_routes(http::Router& router, const OpsRouteDeps& deps);

}  // namespace baton::conductor
