#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.hpp"
#include "worker/actions/arg_template.hpp"

namespace baton::worker {

// Placeholders every action may use without declaring them.
inline const std::vector<std::string>& builtin_placeholders() {
  static const std::vector<std::string> names{"case_id", "step", "attempt", "gpus"};
  return names;
}

// One declared parameter of an action. A message's value must pass check()
// before it goes anywhere near an argv.
struct ParamSpec {
  enum class Type { string, integer, enumeration };

  std::string name;
  Type type = Type::string;
  std::string pattern_text;                     // string: full-match ECMAScript regex; empty: any
  std::shared_ptr<const std::regex> pattern;    // compiled pattern_text
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<std::string> choices;             // enumeration
  std::optional<std::string> default_value;

  // The value as it goes into the argv (integers in canonical form), or why
  // it is refused.
  Result<std::string> check(std::string_view value) const;
};

struct ActionSpec {
  std::string name;
  std::vector<ArgTemplate> argv;       // argv[0] is the program, without placeholders
  std::map<std::string, ParamSpec> params;
  std::map<std::string, ArgTemplate> env;
  std::string cwd;                     // empty: the worker's
  std::chrono::milliseconds timeout{0};  // 0: none unless the message sets one
};

}  // namespace baton::worker
