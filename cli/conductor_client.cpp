#include "cli/conductor_client.hpp"

#include <chrono>
#include <iostream>

#include "common/http/client.hpp"

namespace baton::cli {

namespace {

Result<ApiReply> exchange(const GlobalOptions& options, http::Request request, const std::string& path) {
  std::string base = options.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  request.bearer_token = options.token;
  request.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  auto response = http::fetch(request);
  if (!response) return response.error();

  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded()) {
    return make_error(Errc::decode, "HTTP " + std::to_string(response->status) + " with a body that is not JSON: " +
                                        response->body.substr(0, 200));
  }
  return ApiReply{response->status, std::move(body)};
}

}  // namespace

Result<ApiReply> get_json(const GlobalOptions& options, const std::string& path) {
  return exchange(options, http::Request{}, path);
}

Result<ApiReply> post_json(const GlobalOptions& options, const std::string& path, const nlohmann::json& body) {
  http::Request request;
  request.method = "POST";
  request.body = body.dump();
  return exchange(options, std::move(request), path);
}

Result<ApiReply> delete_json(const GlobalOptions& options, const std::string& path) {
  http::Request request;
  request.method = "DELETE";
  return exchange(options, std::move(request), path);
}

std::string error_reason(const ApiReply& reply) {
  if (reply.body.is_object()) {
    const auto it = reply.body.find("error");
    if (it != reply.body.end() && it->is_string()) return it->get<std::string>();
  }
  return "HTTP " + std::to_string(reply.status) + ": " + reply.body.dump();
}

int report_failure(const GlobalOptions& options, const Error& error) {
  if (error.code == Errc::decode) {
    std::cerr << "unexpected answer from conductor at " << options.url << ": " << error.message << "\n";
  } else {
    std::cerr << "cannot reach conductor at " << options.url << ": " << error.message << "\n";
  }
  return kExitUnavailable;
}

}  // namespace baton::cli
