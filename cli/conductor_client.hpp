#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/context.hpp"
#include "common/core/result.hpp"

namespace baton::cli {

struct ApiReply {
  int status = 0;
  nlohmann::json body;
};

// GET options.url + path. Transport errors come back as http::fetch reports
// them; a body that is not JSON is Errc::decode, with the status in the message.
Result<ApiReply> get_json(const GlobalOptions& options, const std::string& path);

// POST options.url + path with a JSON body, sending options.token as a bearer
// token when set. Errors as for get_json.
Result<ApiReply> post_json(const GlobalOptions& options, const std::string& path, const nlohmann::json& body);

// DELETE options.url + path, with the token. Errors as for get_json.
Result<ApiReply> delete_json(const GlobalOptions& options, const std::string& path);

// The "error" member of an API error body, or the status and body when the
// answer has none.
std::string error_reason(const ApiReply& reply);

// Prints why the conductor could not be used to stderr and returns
// kExitUnavailable.
int report_failure(const GlobalOptions& options, const Error& error);

}  // namespace baton::cli
