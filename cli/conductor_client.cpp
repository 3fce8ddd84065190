#include "cli/conductor_client.hpp"

#include <chrono>
#include <iostream>

#include "common/http/client.hpp"

namespace baton::cli {

Result<ApiReply> get_json(const GlobalOptions& options, const std::string& path) {
  http::Request request;
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

int report_failure(const GlobalOptions& options, const Error& error) {
  if (error.code == Errc::decode) {
    std::cerr << "unexpected answer from conductor at " << options.url << ": " << error.message << "\n";
  } else {
    std::cerr << "cannot reach conductor at " << options.url << ": " << error.message << "\n";
  }
  return kExitUnavailable;
}

}  // namespace baton::cli
