#include "worker/config.hpp"

#include <unistd.h>

#include <climits>

#include "common/config/broker_config.hpp"
#include "common/config/config_error.hpp"
#include "common/config/yaml_reader.hpp"
#include "worker/actions/action_config.hpp"

namespace baton::worker {

namespace {

using namespace std::chrono_literals;
using config::MapReader;

constexpr size_t kMaxIdLength = 64;

bool id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// The id names the worker's queue (baton.worker.<id>) and routing key, so it
// must stay free of the dots and wildcards that topic routing interprets.
std::optional<std::string> id_problem(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return "expected 1 to 64 characters from A-Z a-z 0-9 _ -, got \"" + id + "\"";
  }
  for (char c : id) {
    if (!id_char(c)) return "expected only the characters A-Z a-z 0-9 _ -, got \"" + id + "\"";
  }
  return std::nullopt;
}

std::string default_worker_id() {
  char buffer[HOST_NAME_MAX + 1] = {};
  std::string host;
  if (gethostname(buffer, sizeof buffer - 1) == 0) host = buffer;
  host = host.substr(0, host.find('.'));
  for (char& c : host) {
    if (!id_char(c)) c = '-';
  }
  host = host.substr(0, kMaxIdLength);
  return host.empty() ? "worker" : host;
}

void read_gpu(MapReader& gpu, GpuConfig& out) {
  // YAML 1.1 habits: `mode: true` / `mode: false` mean on / off.
  if (auto mode = gpu.one_of("mode", {"auto", "on", "off", "true", "false"})) {
    if (*mode == "auto") out.mode = GpuConfig::Mode::autodetect;
    else if (*mode == "on" || *mode == "true") out.mode = GpuConfig::Mode::on;
    else out.mode = GpuConfig::Mode::off;
  }
  if (auto smi = gpu.string("nvidia_smi")) out.nvidia_smi = *smi;
  if (auto timeout = gpu.duration("query_timeout", 100ms, 5min)) out.query_timeout = *timeout;
}

void read_worker(MapReader& worker, WorkerConfig& out) {
  if (auto id = worker.string("id")) {
    if (auto problem = id_problem(*id)) worker.fail("id", *problem);
    out.id = *id;
  }
  if (auto labels = worker.string_list("labels")) out.labels = *labels;
  if (auto slots = worker.integer("slots", 1, 4096)) out.slots = static_cast<unsigned>(*slots);
  if (auto interval = worker.duration("heartbeat_interval", 100ms, 1h)) {
    out.heartbeat_interval = *interval;
  }
  if (auto disks = worker.string_list("disks")) out.disks = *disks;
  if (auto threads = worker.integer("task_threads", 1, 64)) out.task_threads = static_cast<unsigned>(*threads);
  worker.section("gpu", [&](MapReader& gpu) { read_gpu(gpu, out.gpu); });
}

void read_jobs(MapReader& jobs, JobsConfig& out) {
  if (auto dir = jobs.string("state_dir")) {
    if (dir->empty()) jobs.fail("state_dir", "expected a directory");
    out.state_dir = *dir;
  }
  if (auto grace = jobs.duration("kill_grace", 0ms, 10min)) out.kill_grace = *grace;
  if (auto lines = jobs.integer("output_tail_lines", 0, 1000)) out.output_tail_lines = static_cast<unsigned>(*lines);
  if (auto supervisor = jobs.string("supervisor")) out.supervisor = *supervisor;
  if (auto drain = jobs.boolean("drain_on_stop")) out.drain_on_stop = *drain;
  if (auto limit = jobs.duration("drain_timeout", std::chrono::seconds(1), std::chrono::hours(24 * 7)))
    out.drain_timeout = *limit;
}

void read_intake(const std::string& name, MapReader& s, std::vector<DirIntakeConfig>& out) {
  DirIntakeConfig watch;
  // The name prefixes the case ids it submits.
  if (auto problem = id_problem(name)) s.fail("", "intake name: " + *problem);
  watch.name = name;
  s.require("dir");
  s.require("workflow");
  watch.dir = *s.string("dir");
  watch.workflow = *s.string("workflow");
  if (auto param = s.string("param")) watch.param = *param;
  if (auto params = s.string_map("params")) watch.params = *params;
  if (auto priority = s.integer("priority", -1000, 1000)) watch.priority = static_cast<int>(*priority);
  if (auto stable = s.duration("stable_for", 0ms, 24h)) watch.stable_for = *stable;
  if (auto interval = s.duration("scan_interval", 50ms, 1h)) watch.scan_interval = *interval;
  if (auto ready = s.string("ready_file")) watch.ready_file = *ready;
  if (auto patterns = s.string_list("partial_patterns")) watch.partial_patterns = *patterns;
  out.push_back(std::move(watch));
}

void apply_env(WorkerConfig& cfg) {
  config::apply_common_env(cfg.broker, cfg.log);
  if (auto id = config::env_value("BATON_WORKER_ID")) {
    if (auto problem = id_problem(*id)) throw config::ConfigError::environment("BATON_WORKER_ID", *problem);
    cfg.id = *id;
  }
}

}  // namespace

WorkerConfig load_worker_config(const std::string& path) {
  WorkerConfig cfg;
  cfg.source_file = path;
  const YAML::Node document = config::load_yaml_file(path);
  MapReader root(document, path, "");
  root.section("worker", [&](MapReader& s) { read_worker(s, cfg); });
  root.section("broker", [&](MapReader& s) { config::read_broker_section(s, cfg.broker); });
  root.section("log", [&](MapReader& s) { config::read_log_section(s, cfg.log); });
  root.section("jobs", [&](MapReader& s) { read_jobs(s, cfg.jobs); });
  root.section("actions", [&](MapReader& s) { cfg.actions = read_actions_section(s, document["actions"], path); });
  root.section("checks", [&](MapReader& s) { checks::read_checks_config(s, cfg.checks); });
  root.section("maintenance", [&](MapReader& s) { maintenance::read_maintenance_config(s, cfg.maintenance); });
  root.section("intake", [&](MapReader& s) {
    s.each_section([&](const std::string& name, MapReader& watch) { read_intake(name, watch, cfg.intake); });
  });
  root.finish();

  if (cfg.id.empty()) cfg.id = default_worker_id();
  apply_env(cfg);
  return cfg;
}

}  // namespace baton::worker
