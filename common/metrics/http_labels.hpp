#pragma once

#include <map>
#include <string>

namespace baton::metrics {

// The method and route an HTTP request is counted under.
struct HttpRequestLabels {
  std::string method = "other";
  std::string route = "unmatched";
};

// Labels with bounded values, whatever clients send: an unknown method is
// "other", and a request no route took (404/405 without captured params) is
// "unmatched", so a scanner probing random paths cannot grow the metric. The
// route is the router's pattern, rebuilt from the path by putting each
// {param} back in place of the segment that captured it (searched from the
// end, where parameters usually sit): /api/v1/cases/c-1 becomes
// /api/v1/cases/{id}. A literal segment equal to a param's value can be taken
// for it; the router recording the matched pattern would remove that guess.
HttpRequestLabels http_request_labels(const std::string& method, const std::string& path,
                                      const std::map<std::string, std::string>& params, int status);

}  // namespace baton::metrics
