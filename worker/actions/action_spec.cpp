#include "worker/actions/action_spec.hpp"

#include <algorithm>

#include "common/config/yaml_reader.hpp"

namespace baton::worker {

namespace {

// libstdc++'s regex matcher recurses per character; a bound keeps a hostile
// value from exhausting the stack.
constexpr size_t kMaxValueBytes = 4096;

}  // namespace

Result<std::string> ParamSpec::check(std::string_view value) const {
  if (value.size() > kMaxValueBytes) {
    return make_error(Errc::invalid_argument, "longer than " + std::to_string(kMaxValueBytes) + " bytes");
  }
  if (value.find('\0') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "contains a NUL byte");
  }
  switch (type) {
    case Type::integer: {
      auto parsed = config::parse_integer(value, min, max);
      if (!parsed) return parsed.error();
      return std::to_string(*parsed);
    }
    case Type::enumeration: {
      if (std::find(choices.begin(), choices.end(), value) != choices.end()) return std::string(value);
      std::string list;
      for (const auto& choice : choices) list += (list.empty() ? "" : ", ") + choice;
      return make_error(Errc::invalid_argument, "expected one of " + list + ", got \"" + std::string(value) + "\"");
    }
    case Type::string:
      break;
  }
  if (pattern && !std::regex_match(value.begin(), value.end(), *pattern)) {
    return make_error(Errc::invalid_argument,
                      "\"" + std::string(value) + "\" does not match the pattern " + pattern_text);
  }
  return std::string(value);
}

}  // namespace baton::worker
