#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace baton::worker::maintenance {

// One built-in maintenance action to run: rotate, cleanup,
// sqlite_maintenance, sqlite_backup or restart_service.
struct MaintenanceRequest {
  std::string action;
  std::map<std::string, std::string> params;
  bool dry_run = false;  // report what would happen, change nothing
  std::chrono::milliseconds timeout{0};  // 0: the configured default_timeout
};

struct MaintenanceOutcome {
  bool ok = false;
  // Set with ok=false when the request was turned down before anything was
  // touched (path outside the roots, unknown action, bad parameter).
  bool refused = false;
  std::string message;
  nlohmann::json details = nlohmann::json::object();
  std::vector<std::pair<std::string, double>> metrics;

  static MaintenanceOutcome refusal(std::string why) {
    MaintenanceOutcome out;
    out.refused = true;
    out.message = std::move(why);
    return out;
  }
  static MaintenanceOutcome failure(std::string why, nlohmann::json details = nlohmann::json::object()) {
    MaintenanceOutcome out;
    out.message = std::move(why);
    out.details = std::move(details);
    return out;
  }
  void metric(std::string name, double value) { metrics.emplace_back(std::move(name), value); }
};

}  // namespace baton::worker::maintenance
