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

void read_upkeep(MapReader& s, DatabaseUpkeepConfig& out) {
  s.section("retention", [&](MapReader& r) {
    for (const char* table : {"check_history", "maintenance_runs", "case_problems", "worker_history"})
      if (auto keep = r.duration(table, std::chrono::hours(1), std::chrono::hours(24 * 3650))) out.retention[table] = *keep;
  });
  s.section("housekeeping", [&](MapReader& h) { read_schedule(h, out.housekeeping); });
  s.section("backup", [&](MapReader& b) {
    b.require("dir");
    out.backup_dir = *b.string("dir");
    if (auto keep = b.integer("keep", 1, 1000)) out.backup_keep = static_cast<unsigned>(*keep);
    if (b.has("every") || b.has("cron")) {
      out.backup = ScheduleSpec{};
      read_schedule(b, out.backup);
    }
  });
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

void read_step(MapReader& s, StepDefinition& step) {
  s.require("name");
  s.require("action");
  step.name = *s.string("name");
  step.action = *s.string("action");
  if (auto pool = s.string("pool")) step.pool = *pool;
  if (auto slots = s.integer("slots", 0, 4096)) step.slots = static_cast<unsigned>(*slots);
  if (auto gpus = s.integer("gpus", 0, 64)) step.gpus = static_cast<unsigned>(*gpus);
  if (auto timeout = s.duration("timeout", std::chrono::seconds(1), std::chrono::hours(24 * 30))) step.timeout = *timeout;
  if (auto params = s.string_map("params")) step.params = *params;
  s.section("retry", [&](MapReader& r) {
    if (auto n = r.integer("max_attempts", 1, 100)) step.retry.max_attempts = static_cast<unsigned>(*n);
    if (auto b = r.duration("backoff", std::chrono::milliseconds(0), std::chrono::hours(24))) step.retry.backoff = *b;
    if (auto m = r.duration("max_backoff", std::chrono::milliseconds(0), std::chrono::hours(24)))
      step.retry.max_backoff = *m;
  });
}

void read_workflows(MapReader& workflows, std::map<std::string, WorkflowDefinition>& out) {
  workflows.each_section([&](const std::string& name, MapReader& w) {
    WorkflowDefinition def;
    def.name = name;
    w.require("steps");
    w.section_list("steps", [&](MapReader& s, size_t) {
      StepDefinition step;
      read_step(s, step);
      for (const auto& existing : def.steps)
        if (existing.name == step.name) s.fail("name", "another step of workflow " + name + " is called " + step.name);
      def.steps.push_back(std::move(step));
    });
    if (def.steps.empty()) w.fail("steps", "a workflow needs at least one step");
    out[name] = std::move(def);
  });
}

void read_cases(MapReader& s, CasesConfig& cases) {
  if (auto policy = s.one_of("on_worker_lost", {"requeue", "fail"}))
    cases.on_worker_lost = *policy == "fail" ? CasesConfig::OnWorkerLost::fail : CasesConfig::OnWorkerLost::requeue;
  if (auto grace = s.duration("stuck_grace", std::chrono::seconds(0), std::chrono::hours(24))) cases.stuck_grace = *grace;
  if (auto t = s.duration("job_heartbeat_timeout", std::chrono::seconds(0), std::chrono::hours(24)))
    cases.job_heartbeat_timeout = *t;
  if (auto policy = s.one_of("on_stuck", {"retry", "requeue", "fail"}))
    cases.on_stuck = *policy == "fail"      ? CasesConfig::OnStuck::fail
                     : *policy == "requeue" ? CasesConfig::OnStuck::requeue
                                            : CasesConfig::OnStuck::retry;
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
    read_upkeep(s, cfg.upkeep);
  });
  root.section("http", [&](MapReader& s) { read_http(s, cfg.http); });
  root.section("workers", [&](MapReader& s) { read_workers(s, cfg.workers); });
  root.section("log", [&](MapReader& s) { config::read_log_section(s, cfg.log); });
  root.section("cases", [&](MapReader& s) { read_cases(s, cfg.cases); });
  root.section("workflows", [&](MapReader& s) { read_workflows(s, cfg.workflows); });
  root.section("checks", [&](MapReader& s) { read_tasks_section(s, TaskDefinition::Kind::check, cfg.checks); });
  root.section("alerts", [&](MapReader& s) { alerts::read_alerts_config(s, cfg.alerts); });
  root.section("maintenance",
               [&](MapReader& s) { read_tasks_section(s, TaskDefinition::Kind::maintenance, cfg.maintenance); });
  if (auto url = root.string("management_url")) cfg.management_url = *url;
  root.finish();

  apply_env(cfg);
  return cfg;
}

}  // namespace baton::conductor
