#include <gtest/gtest.h>

#include "conductor/http/health.hpp"

namespace baton::conductor {
namespace {

HealthInputs all_good() {
  HealthInputs inputs;
  inputs.database_up = true;
  inputs.broker_connected = true;
  inputs.workers = WorkerCounts{2, 0};
  return inputs;
}

TEST(Health, HealthyWhenEverythingIsUp) {
  const auto verdict = evaluate_health(all_good());
  EXPECT_EQ(verdict.status, HealthStatus::healthy);
  EXPECT_TRUE(verdict.reasons.empty());
  EXPECT_EQ(http_status_for(verdict.status), 200);
}

TEST(Health, DatabaseDownIsUnhealthy) {
  auto inputs = all_good();
  inputs.database_up = false;
  inputs.database_error = "disk I/O error";
  const auto verdict = evaluate_health(inputs);
  EXPECT_EQ(verdict.status, HealthStatus::unhealthy);
  ASSERT_EQ(verdict.reasons.size(), 1u);
  EXPECT_NE(verdict.reasons[0].find("disk I/O error"), std::string::npos);
  EXPECT_EQ(http_status_for(verdict.status), 503);
}

TEST(Health, BrokerDownIsUnhealthy) {
  auto inputs = all_good();
  inputs.broker_connected = false;
  const auto verdict = evaluate_health(inputs);
  EXPECT_EQ(verdict.status, HealthStatus::unhealthy);
  ASSERT_EQ(verdict.reasons.size(), 1u);
  EXPECT_NE(verdict.reasons[0].find("broker"), std::string::npos);
}

TEST(Health, BothDownListsBothReasonsAndIgnoresWorkers) {
  HealthInputs inputs;
  inputs.workers = WorkerCounts{0, 3};
  const auto verdict = evaluate_health(inputs);
  EXPECT_EQ(verdict.status, HealthStatus::unhealthy);
  EXPECT_EQ(verdict.reasons.size(), 2u);
}

TEST(Health, OfflineWorkerDegrades) {
  auto inputs = all_good();
  inputs.workers = WorkerCounts{1, 1};
  const auto verdict = evaluate_health(inputs);
  EXPECT_EQ(verdict.status, HealthStatus::degraded);
  ASSERT_EQ(verdict.reasons.size(), 1u);
  EXPECT_EQ(verdict.reasons[0], "1 worker is offline");
  EXPECT_EQ(http_status_for(verdict.status), 200);
}

TEST(Health, NoWorkerOnlineDegrades) {
  auto inputs = all_good();
  inputs.workers = WorkerCounts{0, 0};
  const auto verdict = evaluate_health(inputs);
  EXPECT_EQ(verdict.status, HealthStatus::degraded);
  ASSERT_EQ(verdict.reasons.size(), 1u);
  EXPECT_EQ(verdict.reasons[0], "no worker is online");
}

TEST(Health, AllWorkersOfflineGivesBothReasons) {
  auto inputs = all_good();
  inputs.workers = WorkerCounts{0, 2};
  const auto verdict = evaluate_health(inputs);
  EXPECT_EQ(verdict.status, HealthStatus::degraded);
  EXPECT_EQ(verdict.reasons, (std::vector<std::string>{"2 workers are offline", "no worker is online"}));
}

TEST(Health, StatusNames) {
  EXPECT_STREQ(to_string(HealthStatus::healthy), "healthy");
  EXPECT_STREQ(to_string(HealthStatus::degraded), "degraded");
  EXPECT_STREQ(to_string(HealthStatus::unhealthy), "unhealthy");
}

}  // namespace
}  // namespace baton::conductor
