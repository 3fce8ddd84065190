#include "conductor/tasks/task_definition.hpp"

#include <algorithm>

namespace baton::conductor {

using namespace std::chrono_literals;

namespace {

// Types the worker has built in; anything else is a config error here, not a
// refusal on every worker later.
const std::vector<std::string> kCheckTypes = {"disk", "memory", "cpu", "gpu", "process", "http", "tcp",
                                              "sqlite", "file", "logscan", "rabbitmq_queue", "nagios"};
const std::vector<std::string> kMaintenanceActions = {"rotate", "cleanup", "sqlite_maintenance", "sqlite_backup",
                                                      "restart_service"};

}  // namespace

const char* to_string(TaskDefinition::Kind kind) {
  return kind == TaskDefinition::Kind::check ? "check" : "maintenance";
}

std::string task_key(TaskDefinition::Kind kind, const std::string& name) {
  return std::string(to_string(kind)) + ":" + name;
}

std::string TaskDefinition::schedule_name() const { return task_key(kind, name); }

bool TargetSelector::matches(const WorkerRecord& worker) const {
  if (workers.empty() && labels.empty()) return true;
  if (std::find(workers.begin(), workers.end(), worker.id) != workers.end()) return true;
  return std::any_of(labels.begin(), labels.end(), [&](const std::string& label) {
    return std::find(worker.labels.begin(), worker.labels.end(), label) != worker.labels.end();
  });
}

void read_tasks_section(config::MapReader& section, TaskDefinition::Kind kind,
                        std::map<std::string, TaskDefinition>& out) {
  const bool check = kind == TaskDefinition::Kind::check;
  section.each_section([&](const std::string& name, config::MapReader& r) {
    TaskDefinition def;
    def.kind = kind;
    def.name = name;
    const char* type_key = check ? "type" : "action";
    r.require(type_key);
    def.type = *r.one_of(type_key, check ? kCheckTypes : kMaintenanceActions);
    if (auto params = r.string_map("params")) def.params = *params;
    if (auto args = r.string_list("args")) {
      if (def.type != "nagios") r.fail("args", "only a nagios check takes args");
      def.args = *args;
    }
    if (def.type == "nagios" && !def.params.count("plugin")) r.fail("params", "a nagios check names its plugin: params: {plugin: check_disk}");
    if (auto timeout = r.duration("timeout", 100ms, 24h)) def.timeout = *timeout;
    if (!check)
      if (auto dry = r.boolean("dry_run")) def.dry_run = *dry;
    r.section("targets", [&](config::MapReader& t) {
      if (auto workers = t.string_list("workers")) def.targets.workers = *workers;
      if (auto labels = t.string_list("labels")) def.targets.labels = *labels;
    });
    if (r.has("every") || r.has("cron")) {
      ScheduleSpec spec;
      read_schedule(r, spec);
      spec.name = def.schedule_name();
      def.schedule = std::move(spec);
    }
    out.emplace(name, std::move(def));
  });
}

}  // namespace baton::conductor
