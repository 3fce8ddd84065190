#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/core/clock.hpp"
#include "common/sqlite/database.hpp"

// Column conversions shared by the alert store's files.
namespace baton::conductor::alerts::columns {

inline void bind_time(sqlite::Statement& s, int index, const std::optional<TimePoint>& t) {
  if (t) s.bind(index, to_unix_ms(*t));
  else s.bind_null(index);
}

inline std::optional<TimePoint> optional_time(const sqlite::Statement& s, int col) {
  if (s.column_is_null(col)) return std::nullopt;
  return from_unix_ms(s.column_int(col));
}

inline std::string strings_json(const std::vector<std::string>& values) { return nlohmann::json(values).dump(); }

inline std::vector<std::string> parse_strings(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace baton::conductor::alerts::columns
