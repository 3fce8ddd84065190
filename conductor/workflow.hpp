#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/core/result.hpp"

namespace baton::conductor {

struct RetryPolicy {
  unsigned max_attempts = 1;
  // Delay before attempt n+1 is backoff * 2^(n-1), capped at max_backoff.
  std::chrono::milliseconds backoff{10'000};
  std::chrono::milliseconds max_backoff{600'000};
};

struct StepDefinition {
  std::string name;
  std::string action;           // an action the workers of `pool` define
  std::string pool = "default"; // a worker label
  unsigned slots = 1;
  unsigned gpus = 0;
  std::chrono::milliseconds timeout{3'600'000};
  RetryPolicy retry;
  // Step parameters; `{name}` in a value is the case parameter `name`.
  std::map<std::string, std::string> params;
};

struct WorkflowDefinition {
  std::string name;
  std::vector<StepDefinition> steps;
  // Case parameters the steps refer to: a submission must give all of them.
  std::set<std::string> required_params() const;
  // The step's parameters with the case's filled in; an error names a
  // missing case parameter.
  Result<std::map<std::string, std::string>> step_params(size_t step,
                                                         const std::map<std::string, std::string>& case_params) const;
  std::chrono::milliseconds retry_delay(size_t step, unsigned failed_attempts) const;
};

// The `{name}` placeholders in a template, in order.
std::vector<std::string> placeholders(const std::string& text);

}  // namespace baton::conductor
