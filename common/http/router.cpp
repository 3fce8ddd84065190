#include "common/http/router.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/http/url.hpp"

namespace baton::http {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      found[pattern[i].substr(1, pattern[i].size() - 2)] = percent_decode(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

ServerResponse json_error(int status, const std::string& message) {
  ServerResponse response;
  response.status = status;
  response.body = nlohmann::json{{"error", message}}.dump();
  return response;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
}

ServerResponse Router::dispatch(ServerRequest& request) const {
  const auto segments = split_path(request.path);
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!match(route.segments, segments, params)) continue;
    if (route.method == request.method) {
      request.params = std::move(params);
      return route.handler(request);
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) allowed.push_back(route.method);
  }
  if (!allowed.empty()) {
    auto response = json_error(405, "method " + request.method + " not allowed on " + request.path);
    std::string allow;
    for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
    response.headers["Allow"] = allow;
    return response;
  }
  return json_error(404, "no such resource: " + request.path);
}

}  // namespace baton::http
