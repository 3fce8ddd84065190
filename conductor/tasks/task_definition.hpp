#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/yaml_reader.hpp"
#include "conductor/schedule/schedule_spec.hpp"
#include "conductor/store/worker_record.hpp"

namespace baton::conductor {

// Which workers a check or maintenance action runs on: those named, plus
// those carrying any of the labels; both empty means every worker.
struct TargetSelector {
  std::vector<std::string> workers;
  std::vector<std::string> labels;
  bool matches(const WorkerRecord& worker) const;
};

// A check or maintenance action the conductor sends to workers, on a
// schedule or when an operator asks (`batonctl check run` / `action run`).
struct TaskDefinition {
  enum class Kind { check, maintenance };
  Kind kind = Kind::check;
  std::string name;
  std::string type;  // the check type (disk, http, nagios…) or the maintenance action (cleanup…)
  std::map<std::string, std::string> params;
  std::vector<std::string> args;  // a Nagios plugin's arguments
  bool dry_run = false;           // maintenance only
  std::chrono::milliseconds timeout{10'000};
  TargetSelector targets;
  std::optional<ScheduleSpec> schedule;  // none: run only on request

  // The ScheduleBook name: kinds share one book, so they are prefixed.
  std::string schedule_name() const;
};

// "check:<name>" / "maintenance:<name>": a task's key among all tasks.
std::string task_key(TaskDefinition::Kind kind, const std::string& name);

const char* to_string(TaskDefinition::Kind kind);

// `checks:` and `maintenance:` sections of conductor.yaml: a mapping from
// name to {type|action, params, args, targets: {workers, labels}, timeout,
// dry_run, and the schedule keys of read_schedule (every/cron…)}.
void read_tasks_section(config::MapReader& section, TaskDefinition::Kind kind,
                        std::map<std::string, TaskDefinition>& out);

}  // namespace baton::conductor
