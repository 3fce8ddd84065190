#include "common/metrics/http_labels.hpp"

#include <gtest/gtest.h>

namespace baton::metrics {
namespace {

TEST(HttpLabelsTest, PutsCapturedParamsBackAsTheirPattern) {
  const auto labels = http_request_labels("GET", "/api/v1/cases/case%201/cancel", {{"id", "case 1"}}, 202);
  EXPECT_EQ(labels.method, "GET");
  EXPECT_EQ(labels.route, "/api/v1/cases/{id}/cancel");
  EXPECT_EQ(http_request_labels("GET", "/", {}, 200).route, "/");
  EXPECT_EQ(http_request_labels("GET", "/metrics/", {}, 200).route, "/metrics");
  EXPECT_EQ(http_request_labels("GET", "/api/v1/workers/workers", {{"id", "workers"}}, 200).route,
            "/api/v1/workers/{id}");
}

TEST(HttpLabelsTest, KeepsLabelValuesBounded) {
  EXPECT_EQ(http_request_labels("GET", "/random/probe/123", {}, 404).route, "unmatched");
  EXPECT_EQ(http_request_labels("DELETE", "/api/v1/cases", {}, 405).route, "unmatched");
  EXPECT_EQ(http_request_labels("BREW", "/", {}, 405).method, "other");
  // A 404 from a matched route (the named thing does not exist) keeps its route.
  EXPECT_EQ(http_request_labels("GET", "/api/v1/workers/w9", {{"id", "w9"}}, 404).route, "/api/v1/workers/{id}");
}

}  // namespace
}  // namespace baton::metrics
