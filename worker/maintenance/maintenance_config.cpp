#include "worker/maintenance/maintenance_config.hpp"

#include <algorithm>
#include <filesystem>

#include "worker/maintenance/allowed_roots.hpp"

namespace baton::worker::maintenance {

namespace {

using namespace std::chrono_literals;
using config::MapReader;
namespace fs = std::filesystem;

bool service_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '@';
  });
}

void read_roots(MapReader& reader, MaintenanceConfig& out) {
  auto roots = reader.string_list("allowed_roots");
  if (!roots) return;
  for (const auto& root : *roots) {
    if (root.front() != '/') reader.fail("allowed_roots", "expected absolute paths, got \"" + root + "\"");
    if (fs::path(root).lexically_normal() == "/") {
      reader.fail("allowed_roots", "\"/\" would allow every path; list the directories maintenance may touch");
    }
  }
  out.allowed_roots = *roots;
}

void read_service(const std::string& name, MapReader& service, MaintenanceConfig& out) {
  service.require("argv");
  ServiceRestart restart;
  if (auto argv = service.string_list("argv")) {
    if (argv->empty()) service.fail("argv", "expected at least the program");
    restart.argv = *argv;
  }
  if (auto timeout = service.duration("timeout", 1s, 24h)) restart.timeout = *timeout;
  out.services[name] = std::move(restart);
}

void read_retention(MapReader& rule_reader, MaintenanceConfig& out) {
  RetentionRule rule;
  for (const char* key : {"database", "table", "column", "older_than"}) rule_reader.require(key);
  rule.database = rule_reader.string("database").value_or("");
  if (rule.database.front() != '/') rule_reader.fail("database", "expected an absolute path");
  const fs::path database = fs::path(rule.database).lexically_normal();
  const bool inside = std::any_of(out.allowed_roots.begin(), out.allowed_roots.end(), [&](const std::string& root) {
    return is_within(database, fs::path(root).lexically_normal());
  });
  if (!inside) rule_reader.fail("database", "not inside any of maintenance.allowed_roots");
  for (auto [key, field] : {std::pair{"table", &rule.table}, std::pair{"column", &rule.column}}) {
    *field = rule_reader.string(key).value_or("");
    if (!sqlite::is_identifier(*field)) {
      rule_reader.fail(key, "expected a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*), got \"" + *field + "\"");
    }
  }
  rule.older_than = *rule_reader.duration("older_than", 1s, 24h * 365 * 100);
  if (auto format = rule_reader.one_of("column_format", {"unix_s", "unix_ms", "iso8601"})) {
    rule.column_format = *sqlite::parse_time_format(*format);
  }
  out.sqlite_retention.push_back(std::move(rule));
}

}  // namespace

void read_maintenance_config(MapReader& reader, MaintenanceConfig& out) {
  read_roots(reader, out);
  if (auto timeout = reader.duration("default_timeout", 1s, 24h * 7)) out.default_timeout = *timeout;
  if (auto gzip = reader.string("gzip")) out.gzip_program = *gzip;
  reader.section("services", [&](MapReader& services) {
    services.each_section([&](const std::string& name, MapReader& service) {
      if (!service_name(name)) services.fail(name, "service names use A-Z a-z 0-9 _ - . @");
      read_service(name, service, out);
    });
  });
  reader.section_list("sqlite_retention", [&](MapReader& rule, size_t) { read_retention(rule, out); });
}

}  // namespace baton::worker::maintenance
