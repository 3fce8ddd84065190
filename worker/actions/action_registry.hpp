#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "baton/commands.pb.h"
#include "common/core/result.hpp"
#include "worker/actions/action_spec.hpp"

namespace baton::worker {

// What a RunStep turns into once its action and parameters are checked.
struct PreparedCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // the action's env, expanded; added to the worker's
  std::string cwd;
  std::chrono::milliseconds timeout{0};    // 0: none
};

// The actions this worker's config offers. A RunStep can only pick one of
// them and fill in its declared parameters; it never supplies a command.
class ActionRegistry {
 public:
  ActionRegistry() = default;
  explicit ActionRegistry(std::vector<ActionSpec> actions);

  // Errc::refused with a reason for the conductor, e.g.
  // "unknown parameter 'x' for action 'dose_calc'".
  Result<PreparedCommand> prepare(const v1::RunStep& step) const;

  const ActionSpec* find(const std::string& name) const;
  std::vector<std::string> names() const;
  bool empty() const { return actions_.empty(); }

 private:
  std::map<std::string, ActionSpec> actions_;
};

// "0,1,3"
std::string gpu_list(const v1::RunStep& step);

}  // namespace baton::worker
