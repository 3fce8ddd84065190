#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace baton::cli {

// "3s ago", "5m ago", "2h ago", "4d ago"; "just now" under a second and "-"
// for a negative or unknown age.
std::string format_age(double seconds);

// "45s", "3m 20s", "2h 5m", "3d 4h".
std::string format_duration(double seconds);

// "512 B", "1.5 GiB".
std::string format_bytes(double bytes);

// "12.3" with one decimal; "-" when absent.
std::string format_number(std::optional<double> value, int decimals = 1);

// Reads a number the worker sent in protobuf's JSON mapping, which writes
// 64-bit integers as strings and may use camelCase names: tries snake_name,
// then camel_name, and accepts a number or a numeric string.
std::optional<double> number_field(const nlohmann::json& object, std::string_view snake_name,
                                   std::string_view camel_name = {});

}  // namespace baton::cli
