#include "conductor/workflow.hpp"

#include <algorithm>

namespace baton::conductor {

std::vector<std::string> placeholders(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string::npos) {
    const size_t end = text.find('}', pos);
    if (end == std::string::npos) break;
    out.push_back(text.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

std::set<std::string> WorkflowDefinition::required_params() const {
  std::set<std::string> out;
  for (const auto& step : steps)
    for (const auto& [key, value] : step.params)
      for (auto& name : placeholders(value)) out.insert(name);
  return out;
}

Result<std::map<std::string, std::string>> WorkflowDefinition::step_params(
    size_t step, const std::map<std::string, std::string>& case_params) const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : steps.at(step).params) {
    std::string expanded;
    size_t pos = 0;
    while (true) {
      const size_t open = value.find('{', pos);
      const size_t close = open == std::string::npos ? std::string::npos : value.find('}', open);
      if (close == std::string::npos) {
        expanded += value.substr(pos);
        break;
      }
      const std::string name = value.substr(open + 1, close - open - 1);
      auto it = case_params.find(name);
      if (it == case_params.end())
        return make_error(Errc::invalid_argument, "workflow " + this->name + " needs case parameter '" + name + "'");
      expanded += value.substr(pos, open - pos) + it->second;
      pos = close + 1;
    }
    out[key] = std::move(expanded);
  }
  return out;
}

std::chrono::milliseconds WorkflowDefinition::retry_delay(size_t step, unsigned failed_attempts) const {
  const RetryPolicy& p = steps.at(step).retry;
  auto delay = p.backoff;
  for (unsigned i = 1; i < failed_attempts && delay < p.max_backoff; ++i) delay *= 2;
  return std::min(delay, p.max_backoff);
}

}  // namespace baton::conductor
