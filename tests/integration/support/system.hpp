#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/amqp/broker_settings.hpp"
#include "tests/integration/support/child_process.hpp"

namespace baton::testing {

// A conductor and workers as real processes, in a vhost and a temp directory
// of their own, configured for quick heartbeats.
class System {
 public:
  explicit System(const std::string& name);
  ~System();

  // More keys for the broker: section of every config written after this.
  void set_broker_yaml(std::string lines) { broker_extra_ = std::move(lines); }
  // Starts the conductor and waits until it answers /health.
  // `extra_yaml` is appended to the generated config (e.g. a workflows: section).
  void start_conductor(const std::string& extra_yaml = "");
  // SIGTERM and wait; returns the exit status.
  int stop_conductor();
  ChildProcess& conductor() { return *conductor_; }

  ChildProcess& start_worker(const std::string& id, const std::string& heartbeat = "300ms",
                             const std::string& labels = "[gpu, test]", const std::string& extra_yaml = "",
                             unsigned slots = 2, const std::vector<std::string>& extra_args = {});
  // POST with a JSON body; null JSON when the conductor does not answer.
  nlohmann::json api_post(const std::string& path, const nlohmann::json& body, int* status = nullptr) const;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  // GET against the conductor's API; null JSON when it does not answer.
  nlohmann::json api(const std::string& path, int* status = nullptr) const;
  nlohmann::json worker(const std::string& id) const;
  // Runs batonctl against this conductor; returns the exit code and its stdout.
  int batonctl(const std::string& args, std::string* out = nullptr) const;

  const amqp::BrokerSettings& broker() const { return broker_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string name_;
  amqp::BrokerSettings broker_;
  std::filesystem::path dir_;
  int http_port_ = 0;
  std::unique_ptr<ChildProcess> conductor_;
  std::map<std::string, std::unique_ptr<ChildProcess>> workers_;
  int conductor_starts_ = 0;
  std::string conductor_extra_;
  std::string broker_extra_;
};

}  // namespace baton::testing
