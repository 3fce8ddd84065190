#pragma once

#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/config/yaml_reader.hpp"
#include "worker/actions/action_spec.hpp"

namespace baton::worker {

// Reads the `actions:` section: `reader` reads it, `node` is the same
// mapping (MapReader cannot list its keys, and action and parameter names
// are the keys). Throws config::ConfigError naming file, line and key, e.g.
//   worker.yaml:14: actions.dose.argv[3]: unknown placeholder {plans} (declared: plan, histories; built in: ...)
std::vector<ActionSpec> read_actions_section(config::MapReader& reader, const YAML::Node& node,
                                             const std::string& file);

}  // namespace baton::worker
