#include "conductor/http/route_support.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace baton::conductor {

namespace {

// Compares without returning early, so response time says nothing about how
// much of a guessed token was right (only whether its length was).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

http::ServerResponse unauthorized(const std::string& message) {
  auto response = http::json_error(401, message);
  response.headers["WWW-Authenticate"] = "Bearer";
  return response;
}

}  // namespace

http::ServerResponse json_response(int status, const nlohmann::json& body) {
  http::ServerResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

int http_status_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
    case Errc::decode:
      return 400;
    case Errc::not_found:
      return 404;
    case Errc::conflict:
      return 409;
    case Errc::refused:
      return 403;
    case Errc::unavailable:
    case Errc::timeout:
    case Errc::broker:
      return 503;
    default:
      return 500;
  }
}

http::ServerResponse error_response(const Error& error) {
  return http::json_error(http_status_for(error.code), error.message);
}

std::optional<http::ServerResponse> check_bearer_token(const http::ServerRequest& request, const std::string& token) {
  if (token.empty()) return std::nullopt;
  const auto header = request.headers.find("authorization");
  if (header == request.headers.end() || header->second.empty()) {
    return unauthorized(
        "this call needs the API token: send \"Authorization: Bearer <token>\" "
        "(batonctl --token or BATON_API_TOKEN)");
  }
  std::string_view value = header->second;
  constexpr std::string_view scheme = "bearer ";
  if (value.size() < scheme.size() || !std::equal(scheme.begin(), scheme.end(), value.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return unauthorized("the Authorization header must be \"Bearer <token>\"");
  }
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (!same_secret(value, token)) return unauthorized("the API token is not the conductor's");
  return std::nullopt;
}

http::Handler require_token(std::string token, http::Handler handler) {
  return [token = std::move(token), handler = std::move(handler)](const http::ServerRequest& request) {
    if (auto refused = check_bearer_token(request, token)) return *refused;
    return handler(request);
  };
}

}  // namespace baton::conductor
