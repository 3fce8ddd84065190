#include "conductor/config.hpp"

#include "common/config/broker_config.hpp"
#include "common/config/config_error.hpp"
#include "common/config/yaml_reader.hpp"

namespace baton::conductor {

namespace {

using namespace std::chrono_literals;
using config::MapReader;

void read_http(MapReader& http, HttpConfig& out) {
  if (auto listen = http.string("listen")) out.listen = *listen;
  if (auto port = http.integer("port", 0, 65535)) out.port = static_cast<int>(*port);
  if (auto port_file = http.string("port_file")) out.port_file = *port_file;
  if (auto token = http.string("token")) out.token = *token;
}

void read_workers(MapReader& workers, WorkersConfig& out) {
  if (auto missed = workers.integer("missed_heartbeats", 1, 100)) {
    out.missed_heartbeats = static_cast<unsigned>(*missed);
  }
  if (auto sweep = workers.duration("sweep_interval", 10ms, 1h)) out.sweep_interval = *sweep;
}

void apply_env(ConductorConfig& cfg) {
  config::apply_common_env(cfg.broker, cfg.log);
  if (auto token = config::env_value("BATON_API_TOKEN")) cfg.http.token = *token;
  if (auto port = config::env_value("BATON_HTTP_PORT")) {
    auto parsed = config::parse_integer(*port, 0, 65535);
    if (!parsed) throw config::ConfigError::environment("BATON_HTTP_PORT", parsed.error().message);
    cfg.http.port = static_cast<int>(parsed.value());
  }
  if (auto database = config::env_value("BATON_DATABASE")) cfg.database = *database;
  if (auto url = config::env_value("BATON_MANAGEMENT_URL")) cfg.management_url = *url;
}

}  // namespace

ConductorConfig load_conductor_config(const std::string& path) {
  ConductorConfig cfg;
  cfg.source_file = path;
  MapReader root(config::load_yaml_file(path), path, "");
  root.section("broker", [&](MapReader& s) { config::read_broker_section(s, cfg.broker); });
  root.section("database", [&](MapReader& s) {
    if (auto db = s.string("path")) {
      if (db->empty()) s.fail("path", "must not be empty");
      cfg.database = *db;
    }
  });
  root.section("http", [&](MapReader& s) { read_http(s, cfg.http); });
  root.section("workers", [&](MapReader& s) { read_workers(s, cfg.workers); });
  root.section("log", [&](MapReader& s) { config::read_log_section(s, cfg.log); });
  if (auto url = root.string("management_url")) cfg.management_url = *url;
  root.finish();

  apply_env(cfg);
  return cfg;
}

}  // namespace baton::conductor
