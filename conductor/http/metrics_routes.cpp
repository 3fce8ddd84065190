#include "conductor/http/metrics_routes.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "baton/events.pb.h"
#include "common/metrics/exposition.hpp"
#include "common/metrics/registry.hpp"
#include "conductor/alerts/alert_store.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double seconds_between(TimePoint from, TimePoint to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

// Seconds since the least recently updated case of each unfinished status was
// last touched: a case that sits still for long is stuck.
Status add_case_staleness(ConductorStore& store, TimePoint now, metrics::Collection& out) {
  auto stmt = store.db().prepare(
      "SELECT status, MIN(updated_ms) FROM cases WHERE status IN ('QUEUED', 'PROCESSING', 'EXECUTING') "
      "GROUP BY status");
  if (!stmt) return stmt.error();
  std::map<std::string, double> age_by_status = {{"QUEUED", 0.0}, {"PROCESSING", 0.0}, {"EXECUTING", 0.0}};
  if (auto st = sqlite::for_each_row(**stmt, [&](const sqlite::Statement& row) {
        age_by_status[row.column_text(0)] = seconds_between(from_unix_ms(row.column_int(1)), now);
      });
      !st)
    return st;
  for (const auto& [status, age] : age_by_status)
    out.gauge("baton_case_oldest_update_age_seconds",
              "Seconds since the least recently updated unfinished case of this status changed.", {{"status", status}},
              age);
  return {};
}

void add_worker_resources(const WorkerRecord& worker, metrics::Collection& out) {
  v1::Resources resources;
  if (worker.resources_pb.empty() || !resources.ParseFromString(worker.resources_pb)) return;
  const metrics::LabelPairs w{{"worker", worker.id}};
  out.gauge("baton_worker_cpu_utilization_ratio", "CPU busy, 0 to 1, from the latest heartbeat.", w,
            resources.cpu_percent() / 100.0);
  out.gauge("baton_worker_memory_total_bytes", "Memory installed.", w,
            static_cast<double>(resources.memory_total_bytes()));
  out.gauge("baton_worker_memory_available_bytes", "Memory available to new work.", w,
            static_cast<double>(resources.memory_available_bytes()));
  out.gauge("baton_worker_load1", "One-minute load average.", w, resources.load1());
  for (const auto& disk : resources.disks()) {
    metrics::LabelPairs d{{"worker", worker.id}, {"path", disk.path()}};
    out.gauge("baton_worker_disk_total_bytes", "Size of a watched filesystem.", d,
              static_cast<double>(disk.total_bytes()));
    out.gauge("baton_worker_disk_used_bytes", "Bytes used on a watched filesystem.", d,
              static_cast<double>(disk.used_bytes()));
  }
  for (const auto& gpu : resources.gpus()) {
    metrics::LabelPairs g{{"worker", worker.id}, {"gpu", std::to_string(gpu.index())}};
    out.gauge("baton_worker_gpu_utilization_ratio", "GPU busy, 0 to 1.", g, gpu.utilization_percent() / 100.0);
    out.gauge("baton_worker_gpu_memory_used_bytes", "GPU memory in use.", g,
              static_cast<double>(gpu.memory_used_mib()) * kMiB);
    out.gauge("baton_worker_gpu_memory_total_bytes", "GPU memory installed.", g,
              static_cast<double>(gpu.memory_total_mib()) * kMiB);
    out.gauge("baton_worker_gpu_temperature_celsius", "GPU temperature.", g, gpu.temperature_celsius());
  }
}

void add_workers(const std::vector<WorkerRecord>& workers, TimePoint now, metrics::Collection& out) {
  double online = 0;
  double offline = 0;
  for (const auto& worker : workers) {
    (worker.online ? online : offline) += 1;
    const metrics::LabelPairs w{{"worker", worker.id}};
    out.gauge("baton_worker_up", "1 while the worker is online, 0 once it is considered offline.", w,
              worker.online ? 1 : 0);
    out.gauge("baton_worker_draining", "1 while the worker finishes its jobs and takes no new work.", w,
              worker.draining ? 1 : 0);
    if (worker.last_seen != TimePoint{})
      out.gauge("baton_worker_heartbeat_age_seconds", "Seconds since the worker was last heard from.", w,
                seconds_between(worker.last_seen, now));
    if (!worker.online) continue;  // resources of a silent worker are history, not state
    out.gauge("baton_worker_slots", "Job slots the worker offers.", w, worker.slots);
    out.gauge("baton_worker_free_slots", "Job slots free at the latest heartbeat.", w, worker.free_slots);
    add_worker_resources(worker, out);
  }
  out.gauge("baton_workers", "Known workers by state.", {{"state", "online"}}, online);
  out.gauge("baton_workers", "Known workers by state.", {{"state", "offline"}}, offline);
}

// Open alerts by severity, and every check's latest state and perfdata
// (Nagios perfdata becomes labelled gauges: 'label'=value[uom]).
Status add_alerts_and_checks(ConductorStore& store, metrics::Collection& out) {
  auto open = alerts::AlertStore(store.db()).list_alerts(true, 100000);
  if (!open) return open.error();
  std::map<std::string, int> by_severity{{"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}};
  for (const auto& a : *open) by_severity[alerts::to_string(a.severity)]++;
  for (const auto& [severity, n] : by_severity)
    out.gauge("baton_alerts_open", "Open alerts by severity.", {{"severity", severity}}, n);

  CheckFilter every;  // (a designated initializer draws -Wmissing-field-initializers from GCC 12)
  every.limit = 100000;
  auto latest = store.latest_checks(every);
  if (!latest) return latest.error();
  std::map<std::string, int> by_state{{"OK", 0}, {"WARNING", 0}, {"CRITICAL", 0}, {"UNKNOWN", 0}};
  for (const auto& c : *latest) {
    by_state[to_string(c.state)]++;
    out.gauge("baton_check_state", "Latest state of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
              {{"worker", c.worker_id}, {"check", c.check}}, static_cast<double>(static_cast<int>(c.state)));
    const auto perfdata = nlohmann::json::parse(c.perfdata_json, nullptr, false);
    if (!perfdata.is_array()) continue;
    for (const auto& p : perfdata)
      if (p.contains("label") && p.contains("value") && p["value"].is_number())
        out.gauge("baton_check_perfdata", "Perfdata of each check's latest result, as the check reported it.",
                  {{"worker", c.worker_id}, {"check", c.check}, {"label", p["label"].get<std::string>()},
                   {"uom", p.value("uom", "")}},
                  p["value"].get<double>());
  }
  for (const auto& [state, n] : by_state)
    out.gauge("baton_checks", "Checks by the state of their latest result.", {{"state", state}}, n);
  return {};
}

}  // namespace

Result<std::vector<metrics::FamilySnapshot>> database_metrics(ConductorStore& store, TimePoint now) {
  metrics::Collection out;
  auto counts = store.count_cases_by_status();
  if (!counts) return counts.error();
  for (const auto status : {CaseStatus::queued, CaseStatus::processing, CaseStatus::executing, CaseStatus::completed,
                            CaseStatus::failed, CaseStatus::cancelled}) {
    const auto it = counts->find(to_string(status));
    out.gauge("baton_cases", "Cases in the database by status.", {{"status", to_string(status)}},
              it == counts->end() ? 0 : it->second);
  }
  if (auto st = add_case_staleness(store, now, out); !st) return st.error();
  auto workers = store.list_workers();
  if (!workers) return workers.error();
  add_workers(*workers, now, out);
  if (auto st = add_alerts_and_checks(store, out); !st) return st.error();
  return std::move(out).take();
}

namespace {

std::vector<metrics::FamilySnapshot> process_metrics(const MetricsRouteDeps& deps) {
  metrics::Collection out;
  out.gauge("baton_conductor_info", "Always 1; the labels say which conductor answers.", {{"version", deps.version}},
            1);
  out.gauge("baton_conductor_start_time_seconds", "When the conductor started, in seconds since the Unix epoch.", {},
            static_cast<double>(to_unix_ms(deps.started_at)) / 1000.0);
  if (deps.broker_connected)
    out.gauge("baton_broker_connected", "1 while the conductor is connected to RabbitMQ.", {},
              deps.broker_connected() ? 1 : 0);
  if (deps.events) {
    const auto stats = deps.events->stats();
    out.gauge("baton_event_stream_clients", "Dashboards and other clients on /api/v1/events.", {},
              static_cast<double>(stats.subscribers));
    out.counter("baton_event_stream_events_total", "Events published to /api/v1/events.", {},
                static_cast<double>(stats.published));
    out.counter("baton_event_stream_dropped_clients_total", "Event stream clients cut off for reading too slowly.", {},
                static_cast<double>(stats.dropped));
  }
  return std::move(out).take();
}

http::ServerResponse scrape(const MetricsRouteDeps& deps) {
  auto families = deps.registry ? deps.registry->collect() : std::vector<metrics::FamilySnapshot>{};
  for (auto& family : process_metrics(deps)) families.push_back(std::move(family));
  std::vector<metrics::FamilySnapshot> from_database;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto found = database_metrics(store, deps.now());
    if (!found) return found.error();
    from_database = std::move(*found);
    return {};
  });
  metrics::Collection health;
  health.gauge("baton_database_up", "1 when the conductor's database answered this scrape.", {}, read.ok() ? 1 : 0);
  for (auto& family : std::move(health).take()) families.push_back(std::move(family));
  for (auto& family : from_database) families.push_back(std::move(family));

  http::ServerResponse response;
  response.content_type = metrics::kExpositionContentType;
  response.body = metrics::render(std::move(families));
  return response;
}

}  // namespace

void install_metrics_routes(http::Router& router, MetricsRouteDeps deps) {
  if (!deps.now) deps.now = [] { return std::chrono::system_clock::now(); };
  auto d = std::make_shared<const MetricsRouteDeps>(std::move(deps));
  router.add("GET", "/metrics", [d](const http::ServerRequest&) { return scrape(*d); });
}

}  // namespace baton::conductor
