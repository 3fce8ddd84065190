#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace baton::config {
class MapReader;
}

namespace baton::worker::checks {

struct RabbitManagementConfig {
  std::string url;  // http://host:15672; empty: the rabbitmq_queue check is unavailable
  std::string user;
  std::string password;
};

struct ChecksConfig {
  std::vector<std::string> plugin_dirs{"/usr/lib/nagios/plugins"};
  // Plugin names a RunCheck may name; nothing else runs. Empty: none.
  std::vector<std::string> plugins;
  size_t max_output_bytes = 4096;
  std::chrono::milliseconds default_timeout{10'000};
  // Requests asking for longer are cut to this, so one request cannot hold a
  // pool thread for an hour.
  std::chrono::milliseconds max_timeout{300'000};
  std::string state_dir = "var/worker/checks";  // logscan offsets
  RabbitManagementConfig rabbitmq;
  std::string nvidia_smi = "nvidia-smi";
};

// Reads the `checks:` mapping of worker.yaml (the reader is positioned on
// it). Throws config::ConfigError naming file, line and key.
void read_checks_config(config::MapReader& reader, ChecksConfig& config);

}  // namespace baton::worker::checks
