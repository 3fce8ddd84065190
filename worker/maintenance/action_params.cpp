#include "worker/maintenance/action_params.hpp"

#include "common/config/yaml_reader.hpp"

namespace baton::worker::maintenance {

using namespace std::chrono_literals;

const std::string* ActionParams::lookup(const std::string& key) {
  known_.insert(key);
  auto it = raw_.find(key);
  return it == raw_.end() ? nullptr : &it->second;
}

void ActionParams::problem(const std::string& key, const std::string& message) {
  if (!first_problem_) first_problem_ = make_error(Errc::refused, "parameter " + key + ": " + message);
}

std::optional<std::string> ActionParams::text(const std::string& key) {
  const std::string* value = lookup(key);
  if (!value) return std::nullopt;
  return *value;
}

std::string ActionParams::required_text(const std::string& key) {
  const std::string* value = lookup(key);
  if (!value || value->empty()) {
    problem(key, "required");
    return {};
  }
  return *value;
}

bool ActionParams::boolean(const std::string& key, bool fallback) {
  const std::string* value = lookup(key);
  if (!value) return fallback;
  auto parsed = config::parse_bool(*value);
  if (!parsed) problem(key, parsed.error().message);
  return parsed ? *parsed : fallback;
}

int64_t ActionParams::integer(const std::string& key, int64_t min, int64_t max, int64_t fallback) {
  const std::string* value = lookup(key);
  if (!value) return fallback;
  auto parsed = config::parse_integer(*value, min, max);
  if (!parsed) problem(key, parsed.error().message);
  return parsed ? *parsed : fallback;
}

std::chrono::milliseconds ActionParams::duration(const std::string& key,
                                                 std::optional<std::chrono::milliseconds> fallback) {
  const std::string* value = lookup(key);
  if (!value) {
    if (!fallback) problem(key, "required");
    return fallback.value_or(0ms);
  }
  auto parsed = config::parse_duration(*value, 0ms, 24h * 365 * 100);
  if (!parsed) problem(key, parsed.error().message);
  return parsed ? *parsed : fallback.value_or(0ms);
}

uint64_t ActionParams::byte_size(const std::string& key, uint64_t fallback) {
  const std::string* value = lookup(key);
  if (!value) return fallback;
  auto parsed = config::parse_byte_size(*value, 0, UINT64_MAX);
  if (!parsed) problem(key, parsed.error().message);
  return parsed ? *parsed : fallback;
}

std::filesystem::path ActionParams::path(const std::string& key, const AllowedRoots& roots) {
  const std::string value = required_text(key);
  if (value.empty()) return {};
  auto checked = roots.check(value);
  if (!checked) {
    problem(key, checked.error().message);
    return {};
  }
  return *checked;
}

Status ActionParams::finish() const {
  if (first_problem_) return *first_problem_;
  for (const auto& [key, value] : raw_) {
    if (known_.count(key)) continue;
    std::string known;
    for (const auto& name : known_) known += (known.empty() ? "" : ", ") + name;
    return make_error(Errc::refused, "unknown parameter " + key + " (this action takes: " + known + ")");
  }
  return {};
}

}  // namespace baton::worker::maintenance
