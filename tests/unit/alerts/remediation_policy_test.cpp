#include <gtest/gtest.h>

#include "conductor/alerts/remediation_policy.hpp"
#include "tests/unit/alerts/alert_test_support.hpp"

namespace baton::conductor::alerts {
namespace {

using namespace testing;
using Verdict = RemediationDecision::Verdict;

RemediationRule restart_rule() {
  RemediationRule rule;
  rule.check_glob = "svc_*";
  rule.state = CheckState::critical;
  rule.labels = {"web"};
  rule.action = "restart_service";
  rule.params = {{"unit", "nginx"}};
  rule.cooldown = 5min;
  rule.budget_per_hour = 2;
  rule.verify_after = 1min;
  return rule;
}

CheckObservation failing(TimePoint at) {
  return check("w1", "svc_nginx", CheckState::critical, at, {"web"});
}

// Runs the action, lets it succeed, and verifies it with the given result.
void complete(RemediationPolicy& policy, const RemediationDecision& decision, CheckState verified_as, TimePoint at) {
  ASSERT_TRUE(decision.run.has_value());
  ASSERT_TRUE(policy.record_action_result(decision.run->id, true, "restarted", at).ok());
  EXPECT_EQ(policy.next_wakeup(), at + 1min);
  auto due = policy.due_verifications(at + 1min);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].outcome, RemediationRun::Outcome::verifying);
  auto verified = policy.verify(check("w1", "svc_nginx", verified_as, at + 1min, {"web"}));
  ASSERT_TRUE(verified.has_value());
}

TEST(RemediationPolicy, MatchesByCheckStateAndLabels) {
  RemediationPolicy policy({restart_rule()});
  EXPECT_EQ(policy.decide(check("w1", "svc_nginx", CheckState::warning, t0(), {"web"}), t0()).verdict, Verdict::none);
  EXPECT_EQ(policy.decide(check("w1", "svc_nginx", CheckState::critical, t0(), {"db"}), t0()).verdict, Verdict::none);
  EXPECT_EQ(policy.decide(check("w1", "disk", CheckState::critical, t0(), {"web"}), t0()).verdict, Verdict::none);
  auto run = policy.decide(failing(t0()), t0());
  ASSERT_EQ(run.verdict, Verdict::run);
  EXPECT_EQ(run.run->action, "restart_service");
  EXPECT_EQ(run.run->worker_id, "w1");
  EXPECT_EQ(run.run->params.at("unit"), "nginx");
  EXPECT_EQ(run.run->alert_key, "check:w1/svc_nginx");
  EXPECT_EQ(policy.decide(failing(t0() + 10min), t0() + 10min).verdict, Verdict::none)
      << "not while the first run is in flight";
}

TEST(RemediationPolicy, CooldownThenBudgetOfTwoStopsTheThirdRunAndEscalates) {
  RemediationPolicy policy({restart_rule()});
  auto first = policy.decide(failing(t0()), t0());
  ASSERT_EQ(first.verdict, Verdict::run);
  complete(policy, first, CheckState::critical, t0());

  auto cooling = policy.decide(failing(t0() + 2min), t0() + 2min);
  EXPECT_EQ(cooling.verdict, Verdict::cooling_down);
  EXPECT_EQ(cooling.retry_after, t0() + 5min);

  auto second = policy.decide(failing(t0() + 5min), t0() + 5min);
  ASSERT_EQ(second.verdict, Verdict::run);
  complete(policy, second, CheckState::critical, t0() + 5min);

  auto third = policy.decide(failing(t0() + 11min), t0() + 11min);
  EXPECT_EQ(third.verdict, Verdict::budget_exhausted);
  EXPECT_TRUE(third.escalate);
  EXPECT_NE(third.reason.find("budget of 2"), std::string::npos) << third.reason;
  EXPECT_FALSE(third.run.has_value());
  auto again = policy.decide(failing(t0() + 12min), t0() + 12min);
  EXPECT_EQ(again.verdict, Verdict::budget_exhausted);
  EXPECT_FALSE(again.escalate) << "escalated once for this exhausted hour";

  EXPECT_EQ(policy.decide(failing(t0() + 61min), t0() + 61min).verdict, Verdict::run) << "the hour has rolled on";
}

TEST(RemediationPolicy, FailedActionOrVerificationEscalatesAndSaysSo) {
  RemediationPolicy policy({restart_rule()});
  auto run = policy.decide(failing(t0()), t0());
  auto failed = policy.record_action_result(run.run->id, false, "unit not found", t0() + 10s);
  ASSERT_TRUE(failed.ok());
  EXPECT_TRUE(failed->escalate);
  EXPECT_EQ(failed->run.outcome, RemediationRun::Outcome::failed);
  EXPECT_NE(failed->reason.find("unit not found"), std::string::npos);
  EXPECT_FALSE(policy.record_action_result(run.run->id, true, "", t0()).ok()) << "a result is recorded once";
  EXPECT_FALSE(policy.record_action_result(999, true, "", t0()).ok());

  auto second = policy.decide(failing(t0() + 6min), t0() + 6min);
  ASSERT_TRUE(policy.record_action_result(second.run->id, true, "restarted", t0() + 6min).ok());
  EXPECT_TRUE(policy.due_verifications(t0() + 6min + 59s).empty());
  ASSERT_EQ(policy.due_verifications(t0() + 7min).size(), 1u);
  auto still = policy.verify(failing(t0() + 7min));
  ASSERT_TRUE(still.has_value());
  EXPECT_TRUE(still->escalate);
  EXPECT_EQ(still->run.outcome, RemediationRun::Outcome::verify_failed);
}

TEST(RemediationPolicy, SuccessfulVerificationDoesNotEscalate) {
  RemediationPolicy policy({restart_rule()});
  auto run = policy.decide(failing(t0()), t0());
  ASSERT_TRUE(policy.record_action_result(run.run->id, true, "restarted", t0()).ok());
  policy.due_verifications(t0() + 1min);
  auto ok = policy.verify(check("w1", "svc_nginx", CheckState::ok, t0() + 1min, {"web"}));
  ASSERT_TRUE(ok.has_value());
  EXPECT_FALSE(ok->escalate);
  EXPECT_EQ(ok->run.outcome, RemediationRun::Outcome::verified);
  EXPECT_FALSE(policy.verify(check("w1", "svc_nginx", CheckState::ok, t0() + 2min, {"web"})).has_value());
}

TEST(RemediationPolicy, RestoredRunsCountAgainstTheBudget) {
  RemediationPolicy first({restart_rule()});
  std::vector<RemediationRun> runs;
  for (int i = 0; i < 2; ++i) {
    auto d = first.decide(failing(t0() + i * 6min), t0() + i * 6min);
    ASSERT_EQ(d.verdict, Verdict::run);
    ASSERT_TRUE(first.record_action_result(d.run->id, false, "no", t0() + i * 6min).ok());
  }
  RemediationPolicy restarted({restart_rule()});
  restarted.restore(first.runs(), 2);
  auto decision = restarted.decide(failing(t0() + 20min), t0() + 20min);
  EXPECT_EQ(decision.verdict, Verdict::budget_exhausted);
}

}  // namespace
}  // namespace baton::conductor::alerts
