#include "common/metrics/http_labels.hpp"

#include <vector>

#include "common/http/url.hpp"

namespace baton::metrics {

namespace {

std::string method_label(const std::string& method) {
  for (const char* known : {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"})
    if (method == known) return method;
  return "other";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  for (size_t start = 0; start <= path.size();) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start) segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

}  // namespace

HttpRequestLabels http_request_labels(const std::string& method, const std::string& path,
                                      const std::map<std::string, std::string>& params, int status) {
  HttpRequestLabels labels{method_label(method), "unmatched"};
  if ((status == 404 || status == 405) && params.empty()) return labels;
  auto segments = split_path(path);
  std::vector<bool> replaced(segments.size(), false);
  for (const auto& [name, value] : params) {
    for (size_t i = segments.size(); i-- > 0;) {
      if (!replaced[i] && http::percent_decode(segments[i]) == value) {
        segments[i] = "{" + name + "}";
        replaced[i] = true;
        break;
      }
    }
  }
  std::string route;
  for (const auto& segment : segments) route += "/" + segment;
  // Built aside and moved in: assigning "/" to the cleared label made GCC 12
  // see a memcpy of an impossible size (-Wrestrict, GCC bug 105329).
  labels.route = route.empty() ? std::string("/") : std::move(route);
  return labels;
}

}  // namespace baton::metrics
