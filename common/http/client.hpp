#pragma once

#include <chrono>
#include <map>
#include <string>

#include "common/core/result.hpp"

namespace baton::http {

struct Request {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query
  std::string body;
  std::string content_type = "application/json";  // sent only with a body
  std::map<std::string, std::string> headers;
  std::string bearer_token;                        // Authorization: Bearer ...
  std::string basic_user, basic_password;          // Authorization: Basic ... when basic_user is set
  std::chrono::milliseconds timeout{5000};         // for the whole exchange, connect included
};

struct Response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-case
};

// A blocking HTTP/1.1 exchange on a fresh connection. Any HTTP status is a
// successful Response; errors are Errc::invalid_argument (bad URL),
// Errc::unavailable (cannot resolve or connect), Errc::timeout, Errc::io_error.
Result<Response> fetch(const Request& request);

}  // namespace baton::http
