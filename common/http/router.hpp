#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace baton::http {

struct ServerRequest {
  std::string method;
  std::string target;                          // as received: path and query, still encoded
  std::string path;                            // target without the query, still encoded
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> params;   // decoded, from {name} segments of the route
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

using Handler = std::function<ServerResponse(const ServerRequest&)>;

// {"error": message} with the given status.
ServerResponse json_error(int status, const std::string& message);

// Routes by method and path pattern. A pattern is literal segments and
// {name} segments that match any one non-empty segment; a trailing slash on
// the request path is ignored. Routes are tried in the order they were added.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  // Fills request.params from the matching route. 404 when no pattern
  // matches, 405 with Allow when one matches under another method.
  ServerResponse dispatch(ServerRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };

  std::vector<Route> routes_;
};

}  // namespace baton::http
