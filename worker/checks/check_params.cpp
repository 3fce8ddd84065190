#include "worker/checks/check_params.hpp"

#include "common/config/yaml_reader.hpp"

namespace baton::worker::checks {
namespace {

Range::EndpointParser endpoint_parser(Unit unit) {
  switch (unit) {
    case Unit::plain: return {};
    case Unit::bytes:
      return [](std::string_view text) -> Result<double> {
        auto bytes = config::parse_byte_size(text, 0, UINT64_MAX);
        if (!bytes) return bytes.error();
        return static_cast<double>(*bytes);
      };
    case Unit::seconds:
      return [](std::string_view text) -> Result<double> {
        auto ms = config::parse_duration(text, std::chrono::milliseconds(0), std::chrono::milliseconds::max());
        if (!ms) return ms.error();
        return static_cast<double>(ms->count()) / 1000.0;
      };
  }
  return {};
}

}  // namespace

CheckParams::CheckParams(const std::map<std::string, std::string>& values) : values_(values) {}

const std::string* CheckParams::find(const std::string& key) {
  known_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

void CheckParams::fail(const std::string& key, const std::string& message) {
  if (!error_) error_ = make_error(Errc::invalid_argument, "param '" + key + "': " + message);
}

bool CheckParams::has(const std::string& key) const { return values_.count(key) > 0; }

std::string CheckParams::text(const std::string& key, const std::string& fallback) {
  const std::string* value = find(key);
  return value ? *value : fallback;
}

std::string CheckParams::required(const std::string& key) {
  const std::string* value = find(key);
  if (!value || value->empty()) {
    fail(key, "is required");
    return {};
  }
  return *value;
}

int64_t CheckParams::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  const std::string* value = find(key);
  if (!value) return fallback;
  auto parsed = config::parse_integer(*value, min, max);
  if (!parsed) {
    fail(key, parsed.error().message);
    return fallback;
  }
  return *parsed;
}

std::chrono::milliseconds CheckParams::duration(const std::string& key, std::chrono::milliseconds fallback,
                                                std::chrono::milliseconds min, std::chrono::milliseconds max) {
  const std::string* value = find(key);
  if (!value) return fallback;
  auto parsed = config::parse_duration(*value, min, max);
  if (!parsed) {
    fail(key, parsed.error().message);
    return fallback;
  }
  return *parsed;
}

bool CheckParams::boolean(const std::string& key, bool fallback) {
  const std::string* value = find(key);
  if (!value) return fallback;
  auto parsed = config::parse_bool(*value);
  if (!parsed) {
    fail(key, parsed.error().message);
    return fallback;
  }
  return *parsed;
}

std::string CheckParams::one_of(const std::string& key, const std::string& fallback,
                                const std::vector<std::string>& allowed) {
  const std::string* value = find(key);
  if (!value) return fallback;
  auto parsed = config::parse_one_of(*value, allowed);
  if (!parsed) {
    fail(key, parsed.error().message);
    return fallback;
  }
  return *parsed;
}

CheckState CheckParams::state(const std::string& key, CheckState fallback) {
  const std::string* value = find(key);
  if (!value) return fallback;
  CheckState parsed = fallback;
  if (!parse_state(*value, parsed)) fail(key, "expected one of OK, WARNING, CRITICAL, UNKNOWN, got \"" + *value + "\"");
  return parsed;
}

std::optional<Range> CheckParams::range(const std::string& key, const std::string& fallback, Unit unit) {
  const std::string* value = find(key);
  const std::string& text = value ? *value : fallback;
  if (text.empty()) return std::nullopt;
  auto parsed = Range::parse(text, endpoint_parser(unit));
  if (!parsed) {
    fail(key, parsed.error().message);
    return std::nullopt;
  }
  return std::move(*parsed);
}

Thresholds CheckParams::thresholds(const std::string& warning_key, const std::string& critical_key,
                                   const std::string& warning_fallback, const std::string& critical_fallback,
                                   Unit unit) {
  Thresholds t;
  t.warning = range(warning_key, warning_fallback, unit);
  t.critical = range(critical_key, critical_fallback, unit);
  return t;
}

Status CheckParams::status() const {
  if (error_) return *error_;
  for (const auto& [key, value] : values_) {
    if (known_.count(key)) continue;
    std::string known;
    for (const auto& name : known_) known += (known.empty() ? "" : ", ") + name;
    return make_error(Errc::invalid_argument, "unknown param '" + key + "' (this check takes: " + known + ")");
  }
  return {};
}

}  // namespace baton::worker::checks
