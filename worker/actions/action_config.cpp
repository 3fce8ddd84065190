#include "worker/actions/action_config.hpp"

#include <algorithm>
#include <set>

#include "common/config/config_error.hpp"

namespace baton::worker {

namespace {

using namespace std::chrono_literals;
using config::ConfigError;
using config::MapReader;

bool plain_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> keys_of(const YAML::Node& node) {
  std::vector<std::string> keys;
  if (!node.IsMap()) return keys;
  for (const auto& pair : node) {
    if (pair.first.IsScalar()) keys.push_back(pair.first.Scalar());
  }
  return keys;
}

class ActionReader {
 public:
  ActionReader(const std::string& file, std::string path) : file_(file), path_(std::move(path)) {}

  ActionSpec read(MapReader& reader, const YAML::Node& node, const std::string& name) {
    ActionSpec spec;
    spec.name = name;
    reader.require("argv");
    reader.section("params", [&](MapReader& params) {
      for (const auto& param : keys_of(node["params"])) {
        if (!plain_name(param) || param.find('-') != std::string::npos) {
          params.fail(param, "parameter names use A-Z a-z 0-9 _");
        }
        if (std::count(builtin_placeholders().begin(), builtin_placeholders().end(), param)) {
          params.fail(param, "'" + param + "' is a built-in placeholder and cannot be declared");
        }
        params.section(param, [&](MapReader& p) { spec.params[param] = read_param(p, param); });
        if (node["params"][param].IsNull()) {
          ParamSpec plain;
          plain.name = param;
          spec.params[param] = plain;
        }
      }
    });
    if (auto argv = reader.string_list("argv")) {
      if (argv->empty()) reader.fail("argv", "expected at least the program");
      const YAML::Node items = node["argv"];
      for (size_t i = 0; i < argv->size(); ++i) {
        const std::string key = path_ + ".argv[" + std::to_string(i) + "]";
        auto tmpl = parse_template((*argv)[i], items[i], key, spec);
        if (i == 0 && tmpl.has_placeholders()) {
          throw ConfigError(file_, config::line_of(items[i]), key, "the program cannot contain placeholders");
        }
        spec.argv.push_back(std::move(tmpl));
      }
    }
    reader.section("env", [&](MapReader& env) {
      for (const auto& var : keys_of(node["env"])) {
        if (var.empty() || var.find('=') != std::string::npos) env.fail(var, "not a valid variable name");
        auto value = env.string(var);
        spec.env.emplace(var, parse_template(value.value_or(""), node["env"][var], env.key_path(var), spec));
      }
    });
    if (auto cwd = reader.string("cwd")) {
      if (cwd->empty() || cwd->front() != '/') reader.fail("cwd", "expected an absolute path, got \"" + *cwd + "\"");
      spec.cwd = *cwd;
    }
    if (auto timeout = reader.duration("timeout", 1s, 24h * 365)) spec.timeout = *timeout;
    return spec;
  }

 private:
  ParamSpec read_param(MapReader& p, const std::string& name) {
    ParamSpec param;
    param.name = name;
    auto enum_values = p.string_list("enum");
    auto type = p.one_of("type", {"string", "integer", "enum"});
    if (type == "integer") param.type = ParamSpec::Type::integer;
    else if (type == "enum" || (!type && enum_values)) param.type = ParamSpec::Type::enumeration;

    if (param.type == ParamSpec::Type::enumeration) {
      if (!enum_values || enum_values->empty()) p.fail("enum", "an enum parameter needs a non-empty `enum:` list");
      param.choices = *enum_values;
    } else if (enum_values) {
      p.fail("enum", "`enum:` is only for parameters of type enum");
    }

    auto min = p.integer("min", INT64_MIN, INT64_MAX);
    auto max = p.integer("max", INT64_MIN, INT64_MAX);
    if ((min || max) && param.type != ParamSpec::Type::integer) {
      p.fail(min ? "min" : "max", "`min:` and `max:` are only for parameters of type integer");
    }
    if (min) param.min = *min;
    if (max) param.max = *max;
    if (param.min > param.max) p.fail("max", "max is below min");

    if (auto pattern = p.string("pattern")) {
      if (param.type != ParamSpec::Type::string) p.fail("pattern", "`pattern:` is only for parameters of type string");
      try {
        param.pattern = std::make_shared<const std::regex>(*pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        p.fail("pattern", "not a valid regular expression: " + std::string(e.what()));
      }
      param.pattern_text = *pattern;
    }
    if (auto def = p.string("default")) {
      auto checked = param.check(*def);
      if (!checked) p.fail("default", "the default fails its own check: " + checked.error().message);
      param.default_value = *checked;
    }
    return param;
  }

  ArgTemplate parse_template(const std::string& text, const YAML::Node& at, const std::string& key,
                             const ActionSpec& spec) {
    auto tmpl = ArgTemplate::parse(text);
    if (!tmpl) throw ConfigError(file_, config::line_of(at), key, tmpl.error().message);
    for (const auto& name : tmpl->placeholders()) {
      const auto& builtins = builtin_placeholders();
      if (spec.params.count(name) || std::count(builtins.begin(), builtins.end(), name)) continue;
      std::string declared;
      for (const auto& [param, unused] : spec.params) declared += (declared.empty() ? "" : ", ") + param;
      std::string builtin;
      for (const auto& b : builtins) builtin += (builtin.empty() ? "" : ", ") + b;
      throw ConfigError(file_, config::line_of(at), key,
                        "unknown placeholder {" + name + "} (declared: " + (declared.empty() ? "none" : declared) +
                            "; built in: " + builtin + ")");
    }
    return std::move(tmpl).value();
  }

  const std::string& file_;
  std::string path_;
};

}  // namespace

std::vector<ActionSpec> read_actions_section(MapReader& reader, const YAML::Node& node, const std::string& file) {
  std::vector<ActionSpec> actions;
  for (const auto& name : keys_of(node)) {
    if (!plain_name(name)) reader.fail(name, "action names use 1 to 64 of A-Z a-z 0-9 _ -");
    if (node[name].IsNull()) reader.fail(name, "an action needs at least `argv:`");
    reader.section(name, [&](MapReader& action) {
      actions.push_back(ActionReader(file, reader.key_path(name)).read(action, node[name], name));
    });
  }
  return actions;
}

}  // namespace baton::worker
