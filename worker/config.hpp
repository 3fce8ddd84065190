#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/amqp/broker_settings.hpp"
#include "common/config/common_config.hpp"
#include "worker/actions/action_spec.hpp"
#include "worker/checks/checks_config.hpp"
#include "worker/intake/dir_intake.hpp"
#include "worker/maintenance/maintenance_config.hpp"

namespace baton::worker {

struct GpuConfig {
  enum class Mode { autodetect, on, off };
  Mode mode = Mode::autodetect;  // yaml: auto | true | false
  std::string nvidia_smi = "nvidia-smi";
  std::chrono::milliseconds query_timeout{5000};
};

// Where and how case steps run (see worker/jobs/).
struct JobsConfig {
  std::string state_dir = "var/worker";  // jobs.db, logs/<case_id>/<step>-<attempt>.log, jobs/*.exit
  std::chrono::milliseconds kill_grace{5000};  // SIGTERM to SIGKILL of a job's process group
  unsigned output_tail_lines = 20;
  std::string supervisor;  // baton-supervise; empty: beside the worker's executable
  // On SIGTERM, wait for running jobs before exiting (`--drain` sets it too);
  // otherwise jobs keep running under their supervisors and are re-adopted.
  bool drain_on_stop = false;
  std::chrono::milliseconds drain_timeout{3'600'000};
};

struct WorkerConfig {
  std::string source_file;
  std::string id;                       // default: the short host name; [A-Za-z0-9_-]+
  std::vector<std::string> labels;      // pools this worker serves
  unsigned slots = 1;
  std::chrono::milliseconds heartbeat_interval{5000};
  std::vector<std::string> disks{"/"};  // paths whose filesystems are reported
  GpuConfig gpu;
  JobsConfig jobs;
  std::vector<ActionSpec> actions;  // what RunStep may name; nothing else runs
  std::vector<DirIntakeConfig> intake;  // watched directories whose new subdirectories become cases
  checks::ChecksConfig checks;             // how RunCheck requests run (plugins allowed, output cap…)
  maintenance::MaintenanceConfig maintenance;  // the roots and services maintenance may touch
  unsigned task_threads = 2;               // checks and maintenance run on this many threads
  amqp::BrokerSettings broker;
  config::LogConfig log;
};

// Throws config::ConfigError naming file, line and key. Applies the
// environment overrides BATON_BROKER_URL, BATON_BROKER_PASSWORD,
// BATON_LOG_LEVEL, BATON_WORKER_ID.
WorkerConfig load_worker_config(const std::string& path);

}  // namespace baton::worker
