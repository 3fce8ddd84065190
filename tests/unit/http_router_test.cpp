#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/http/router.hpp"
#include "common/http/url.hpp"

namespace baton::http {
namespace {

ServerRequest make_request(std::string method, std::string path) {
  ServerRequest request;
  request.method = std::move(method);
  request.path = path;
  request.target = std::move(path);
  return request;
}

Handler reply(std::string body) {
  return [body](const ServerRequest&) {
    ServerResponse response;
    response.body = body;
    return response;
  };
}

TEST(HttpRouter, MatchesLiteralRoutes) {
  Router router;
  router.add("GET", "/health", reply("health"));
  router.add("GET", "/api/v1/workers", reply("workers"));
  auto request = make_request("GET", "/api/v1/workers");
  EXPECT_EQ(router.dispatch(request).body, "workers");
  request = make_request("GET", "/health");
  EXPECT_EQ(router.dispatch(request).body, "health");
}

TEST(HttpRouter, CapturesDecodedParams) {
  Router router;
  router.add("GET", "/api/v1/workers/{id}", [](const ServerRequest& request) {
    ServerResponse response;
    response.body = request.params.at("id");
    return response;
  });
  auto request = make_request("GET", "/api/v1/workers/gpu%2D01%20a");
  EXPECT_EQ(router.dispatch(request).body, "gpu-01 a");
  EXPECT_EQ(request.params.at("id"), "gpu-01 a");
}

TEST(HttpRouter, IgnoresTrailingSlash) {
  Router router;
  router.add("GET", "/api/v1/workers", reply("workers"));
  auto request = make_request("GET", "/api/v1/workers/");
  EXPECT_EQ(router.dispatch(request).status, 200);
}

TEST(HttpRouter, ParamDoesNotMatchAcrossSegmentsOrEmpty) {
  Router router;
  router.add("GET", "/api/v1/workers/{id}", reply("one"));
  auto deeper = make_request("GET", "/api/v1/workers/a/b");
  EXPECT_EQ(router.dispatch(deeper).status, 404);
  auto list = make_request("GET", "/api/v1/workers");
  EXPECT_EQ(router.dispatch(list).status, 404);
}

TEST(HttpRouter, UnknownPathIs404Json) {
  Router router;
  router.add("GET", "/health", reply("health"));
  auto request = make_request("GET", "/nope");
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_TRUE(nlohmann::json::parse(response.body).contains("error"));
}

TEST(HttpRouter, WrongMethodIs405WithAllow) {
  Router router;
  router.add("GET", "/api/v1/workers/{id}", reply("get"));
  router.add("DELETE", "/api/v1/workers/{id}", reply("delete"));
  auto request = make_request("POST", "/api/v1/workers/w1");
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.at("Allow"), "GET, DELETE");
  auto del = make_request("DELETE", "/api/v1/workers/w1");
  EXPECT_EQ(router.dispatch(del).body, "delete");
}

TEST(HttpRouter, FirstMatchingRouteWins) {
  Router router;
  router.add("GET", "/api/v1/workers/summary", reply("summary"));
  router.add("GET", "/api/v1/workers/{id}", reply("one"));
  auto request = make_request("GET", "/api/v1/workers/summary");
  EXPECT_EQ(router.dispatch(request).body, "summary");
}

TEST(HttpUrl, ParsesHostPortAndTarget) {
  auto url = parse_url("http://127.0.0.1:15672/api/vhosts/%2F?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 15672);
  EXPECT_EQ(url->target, "/api/vhosts/%2F?x=1");

  auto bare = parse_url("http://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->target, "/");

  auto v6 = parse_url("http://[::1]:8080/health");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
}

TEST(HttpUrl, RejectsBadUrls) {
  for (const char* bad : {"https://x/", "ftp://x", "http://", "http://:80/", "http://h:0/", "http://h:99999/",
                          "http://h:8x/", "http://u:p@h/"}) {
    auto url = parse_url(bad);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_EQ(url.error().code, Errc::invalid_argument) << bad;
  }
}

TEST(HttpUrl, QueryAndPercentCoding) {
  const auto query = parse_query("a=1&b=x%20y+z&flag&&c=%zz");
  EXPECT_EQ(query.at("a"), "1");
  EXPECT_EQ(query.at("b"), "x y z");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("c"), "%zz");
  EXPECT_EQ(percent_encode("gpu 01/a~b"), "gpu%2001%2Fa~b");
  EXPECT_EQ(percent_decode(percent_encode("ümlaut & co")), "ümlaut & co");
}

}  // namespace
}  // namespace baton::http
