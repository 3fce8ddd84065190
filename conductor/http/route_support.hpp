#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/core/result.hpp"
#include "common/http/router.hpp"

namespace baton::conductor {

http::ServerResponse json_response(int status, const nlohmann::json& body);

// The HTTP status for a failure a service reported: invalid_argument 400,
// not_found 404, conflict 409, refused 403, unavailable/timeout 503, else 500.
int http_status_for(Errc code);
http::ServerResponse error_response(const Error& error);

// Mutating routes need "Authorization: Bearer <token>" when the conductor has
// a token configured (http.token / BATON_API_TOKEN). Returns the 401 to send,
// or nothing when the request may proceed. An empty token allows everything:
// the API binds to loopback by default.
std::optional<http::ServerResponse> check_bearer_token(const http::ServerRequest& request, const std::string& token);

// Wraps a handler so it runs only with the right token.
http::Handler require_token(std::string token, http::Handler handler);

}  // namespace baton::conductor
