#include "worker/actions/action_registry.hpp"

namespace baton::worker {

namespace {

Error refused(std::string reason) { return make_error(Errc::refused, std::move(reason)); }

}  // namespace

std::string gpu_list(const v1::RunStep& step) {
  std::string list;
  for (uint32_t gpu : step.gpus()) list += (list.empty() ? "" : ",") + std::to_string(gpu);
  return list;
}

ActionRegistry::ActionRegistry(std::vector<ActionSpec> actions) {
  for (auto& action : actions) {
    std::string name = action.name;
    actions_.emplace(std::move(name), std::move(action));
  }
}

const ActionSpec* ActionRegistry::find(const std::string& name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : &it->second;
}

std::vector<std::string> ActionRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, unused] : actions_) out.push_back(name);
  return out;
}

Result<PreparedCommand> ActionRegistry::prepare(const v1::RunStep& step) const {
  const ActionSpec* action = find(step.action());
  if (!action) return refused("unknown action '" + step.action() + "'");
  const std::string quoted = "'" + action->name + "'";

  for (const auto& [name, unused] : step.params()) {
    if (!action->params.count(name)) return refused("unknown parameter '" + name + "' for action " + quoted);
  }
  std::map<std::string, std::string> values;
  for (const auto& [name, spec] : action->params) {
    auto given = step.params().find(name);
    if (given == step.params().end()) {
      if (!spec.default_value) return refused("missing parameter '" + name + "' for action " + quoted);
      values[name] = *spec.default_value;
      continue;
    }
    auto checked = spec.check(given->second);
    if (!checked) return refused("parameter '" + name + "' for action " + quoted + ": " + checked.error().message);
    values[name] = std::move(checked).value();
  }
  values["case_id"] = step.case_id();
  values["step"] = std::to_string(step.step_index());
  values["attempt"] = std::to_string(step.attempt());
  values["gpus"] = gpu_list(step);

  PreparedCommand command;
  for (const auto& arg : action->argv) command.argv.push_back(arg.expand(values));
  for (const auto& [var, value] : action->env) command.env[var] = value.expand(values);
  command.cwd = action->cwd;
  // The message may shorten the configured limit, never lengthen it.
  const std::chrono::milliseconds requested(step.timeout_ms());
  if (action->timeout.count() > 0 && requested.count() > 0) command.timeout = std::min(action->timeout, requested);
  else command.timeout = action->timeout.count() > 0 ? action->timeout : requested;
  return command;
}

}  // namespace baton::worker
