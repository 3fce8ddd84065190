#include "cli/format.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace baton::cli {

namespace {

std::optional<double> as_number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size()) return parsed;
  }
  return std::nullopt;
}

}  // namespace

std::string format_age(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  if (seconds < 1) return "just now";
  const auto whole = static_cast<long long>(seconds);
  if (whole < 60) return std::to_string(whole) + "s ago";
  if (whole < 3600) return std::to_string(whole / 60) + "m ago";
  if (whole < 86400) return std::to_string(whole / 3600) + "h ago";
  return std::to_string(whole / 86400) + "d ago";
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const auto whole = static_cast<long long>(seconds);
  if (whole < 60) return std::to_string(whole) + "s";
  if (whole < 3600) return std::to_string(whole / 60) + "m " + std::to_string(whole % 60) + "s";
  if (whole < 86400) return std::to_string(whole / 3600) + "h " + std::to_string(whole % 3600 / 60) + "m";
  return std::to_string(whole / 86400) + "d " + std::to_string(whole % 86400 / 3600) + "h";
}

std::string format_bytes(double bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (!std::isfinite(bytes) || bytes < 0) return "-";
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buffer;
}

std::string format_number(std::optional<double> value, int decimals) {
  if (!value || !std::isfinite(*value)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, *value);
  return buffer;
}

std::optional<double> number_field(const nlohmann::json& object, std::string_view snake_name,
                                   std::string_view camel_name) {
  if (!object.is_object()) return std::nullopt;
  for (const auto name : {snake_name, camel_name}) {
    if (name.empty()) continue;
    const auto it = object.find(std::string(name));
    if (it != object.end()) return as_number(*it);
  }
  return std::nullopt;
}

}  // namespace baton::cli
