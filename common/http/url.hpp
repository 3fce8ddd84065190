#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/core/result.hpp"

namespace baton::http {

// An http:// URL split the way a client needs it. target is path plus query,
// kept percent-encoded exactly as given.
struct Url {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};

Result<Url> parse_url(std::string_view url);

// Decodes %XX escapes; with plus_as_space (query strings) '+' becomes ' '.
// Malformed escapes are kept literally rather than rejected.
std::string percent_decode(std::string_view text, bool plus_as_space = false);

// Encodes everything outside RFC 3986 unreserved characters, so the result is
// safe as one path segment or one query value.
std::string percent_encode(std::string_view text);

// "a=1&b=x%20y" -> {a:1, b:"x y"}; a repeated key keeps its last value.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace baton::http
