#include "conductor/http/dashboard/dashboard_routes.hpp"

#include "conductor/http/dashboard/assets.hpp"

namespace baton::conductor {

namespace {

const dashboard::Asset* find_asset(std::string_view name) {
  for (const auto& asset : dashboard::assets())
    if (asset.name == name) return &asset;
  return nullptr;
}

http::ServerResponse serve(std::string_view name) {
  const auto* asset = find_asset(name);
  if (!asset) return http::json_error(404, "no dashboard file named " + std::string(name));
  http::ServerResponse response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->body);
  // Revalidated on every load, so a conductor upgrade never leaves an old
  // script running against a new API.
  response.headers["Cache-Control"] = "no-cache";
  response.headers["X-Content-Type-Options"] = "nosniff";
  // Everything the page needs comes from the conductor itself; nothing
  // inline, nothing from elsewhere, and no framing by other sites.
  response.headers["Content-Security-Policy"] =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  response.headers["Referrer-Policy"] = "no-referrer";
  return response;
}

}  // namespace

void install_dashboard_routes(http::Router& router) {
  router.add("GET", "/", [](const http::ServerRequest&) { return serve("index.html"); });
  router.add("GET", "/dashboard/{file}",
             [](const http::ServerRequest& request) { return serve(request.params.at("file")); });
}

}  // namespace baton::conductor
