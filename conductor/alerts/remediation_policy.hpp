#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "conductor/alerts/alert_types.hpp"
#include "conductor/alerts/alerts_config.hpp"

namespace baton::conductor::alerts {

struct RemediationRun {
  // running: the action was sent; awaiting_verification: it succeeded and the
  // check is due again at verify_at; verifying: that re-check was requested.
  enum class Outcome { running, awaiting_verification, verifying, verified, failed, verify_failed };
  int64_t id = 0;
  std::string alert_key;
  std::string worker_id;
  std::string check;
  std::string action;
  std::map<std::string, std::string> params;
  TimePoint started_at;
  Outcome outcome = Outcome::running;
  std::string message;
  std::optional<TimePoint> verify_at;
  std::optional<TimePoint> finished_at;

  bool in_flight() const {
    return outcome == Outcome::running || outcome == Outcome::awaiting_verification || outcome == Outcome::verifying;
  }
};
const char* to_string(RemediationRun::Outcome outcome);
std::optional<RemediationRun::Outcome> parse_remediation_outcome(std::string_view text);

struct RemediationDecision {
  enum class Verdict { run, cooling_down, budget_exhausted, none };
  Verdict verdict = Verdict::none;
  std::optional<RemediationRun> run;  // verdict run: the recorded run to carry out and store
  std::optional<TimePoint> retry_after;  // cooling_down: when the cooldown ends
  bool escalate = false;  // escalate the alert (AlertEngine::escalate_now) with `reason`
  std::string reason;
};
const char* to_string(RemediationDecision::Verdict verdict);

// A run whose state changed, to store; escalate when it failed.
struct RemediationUpdate {
  RemediationRun run;
  bool escalate = false;
  std::string reason;
};

// Which automatic fix a failing check gets, and when to stop trying. Pure and
// single-threaded like the engine; the caller sends the action to the worker
// and reports back.
class RemediationPolicy {
 public:
  explicit RemediationPolicy(std::vector<RemediationRule> rules) : rules_(std::move(rules)) {}

  RemediationDecision decide(const CheckObservation& observation, TimePoint now);

  // The worker's action result. A failure escalates.
  Result<RemediationUpdate> record_action_result(int64_t run_id, bool succeeded, const std::string& message,
                                                 TimePoint now);
  // Runs whose re-check is due: the caller requests the check; they become `verifying`.
  std::vector<RemediationRun> due_verifications(TimePoint now);
  // A check result settles a run being verified for that worker and check;
  // still failing escalates. nullopt when no run awaited it.
  std::optional<RemediationUpdate> verify(const CheckObservation& observation);
  std::optional<TimePoint> next_wakeup() const;

  // Runs of the last hour (for budgets) and those still in flight.
  void restore(std::vector<RemediationRun> runs, int64_t max_run_id);
  const std::vector<RemediationRun>& runs() const { return runs_; }

 private:
  RemediationRun* find(int64_t run_id);
  void forget_old(TimePoint now);

  std::vector<RemediationRule> rules_;
  std::vector<RemediationRun> runs_;
  std::map<std::string, TimePoint> exhaustion_reported_;  // by rule+worker: escalate once per window
  int64_t next_run_id_ = 1;
};

}  // namespace baton::conductor::alerts
