#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/config/yaml_reader.hpp"
#include "common/sqlite/maintenance.hpp"

namespace baton::worker::maintenance {

// A service restart_service may restart: argv only, never a shell.
struct ServiceRestart {
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{60'000};
};

// Rows the `retention` operation of sqlite_maintenance deletes. Table and
// column names come only from here and are plain identifiers.
struct RetentionRule {
  std::string database;  // absolute, inside allowed_roots
  std::string table;
  std::string column;
  std::chrono::milliseconds older_than{0};
  sqlite::TimeFormat column_format = sqlite::TimeFormat::unix_s;
};

struct MaintenanceConfig {
  std::vector<std::string> allowed_roots;  // empty: every path refused
  std::map<std::string, ServiceRestart> services;
  std::vector<RetentionRule> sqlite_retention;
  std::chrono::milliseconds default_timeout{600'000};
  std::string gzip_program = "gzip";  // looked up in PATH unless it has a '/'
};

// Reads the `maintenance:` section of worker.yaml (call it from
// reader.section("maintenance", ...)). Throws config::ConfigError with file,
// line and key.
void read_maintenance_config(config::MapReader& reader, MaintenanceConfig& out);

}  // namespace baton::worker::maintenance
