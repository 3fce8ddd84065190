#include "tests/integration/support/system.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "common/http/client.hpp"
#include "tests/integration/support/broker_env.hpp"

namespace baton::testing {

using namespace std::chrono_literals;

System::System(const std::string& name)
    : name_(name),
      broker_(make_vhost(name)),
      dir_(std::filesystem::temp_directory_path() / ("baton-" + name + "-" + std::to_string(::getpid()))) {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

System::~System() {
  for (auto& [id, w] : workers_) w->signal(SIGKILL);
  if (conductor_) conductor_->signal(SIGKILL);
}

void System::start_conductor(const std::string& extra_yaml) {
  if (!extra_yaml.empty()) conductor_extra_ = extra_yaml;
  const auto port_file = dir_ / "http.port";
  std::filesystem::remove(port_file);
  std::ofstream(dir_ / "conductor.yaml") << "database:\n  path: " << (dir_ / "baton.db").string()
                                         << "\nhttp:\n  port: 0\n  port_file: " << port_file.string()
                                         << "\nworkers:\n  missed_heartbeats: 5\n  sweep_interval: 100ms\n"
                                         << "broker:\n  heartbeat: 5s\n  reconnect_initial: 100ms\n"
                                         << "  reconnect_max: 1s\n" << broker_extra_ << "log:\n  level: debug\n  file: "
                                         << (dir_ / "conductor.log").string() << "\n"
                                         << conductor_extra_;
  conductor_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{std::string(BATON_BIN_DIR) + "/baton-conductor", "--config",
                               (dir_ / "conductor.yaml").string()},
      std::map<std::string, std::string>{{"BATON_BROKER_URL", amqp_url(broker_)}},
      (dir_ / ("conductor-" + std::to_string(conductor_starts_++) + ".out")).string());
  const bool up = eventually(
      [&] {
        std::ifstream in(port_file);
        return (in >> http_port_) && http_port_ > 0;
      },
      20s);
  if (!up) throw std::runtime_error("conductor did not start:\n" + conductor_->output());
  // Up means connected too: its queues are declared once the broker link is.
  if (!eventually([&] { return api("/health")["components"]["broker"]["status"] == "up"; }, 20s))
    throw std::runtime_error("conductor is not connected to the broker:\n" + conductor_->output());
}

int System::stop_conductor() {
  conductor_->signal(SIGTERM);
  auto status = conductor_->wait_exit(20s);
  return status ? *status : -1;
}

ChildProcess& System::start_worker(const std::string& id, const std::string& heartbeat, const std::string& labels,
                                   const std::string& extra_yaml, unsigned slots,
                                   const std::vector<std::string>& extra_args) {
  const auto config = dir_ / ("worker-" + id + ".yaml");
  std::ofstream(config) << "worker:\n  id: " << id << "\n  labels: " << labels << "\n  slots: " << slots
                        << "\n  heartbeat_interval: " << heartbeat << "\n  gpu:\n    mode: auto\n"
                        << "jobs:\n  state_dir: " << (dir_ / ("state-" + id)).string() << "\n  kill_grace: 1s\n"
                        << extra_yaml
                        << "broker:\n  heartbeat: 5s\n  reconnect_initial: 100ms\n  reconnect_max: 1s\n"
                        << broker_extra_
                        << "log:\n  level: debug\n  file: " << (dir_ / ("worker-" + id + ".log")).string() << "\n";
  auto& slot = workers_[id];
  if (slot) slot->signal(SIGKILL);
  std::vector<std::string> argv{std::string(BATON_BIN_DIR) + "/baton-worker", "--config", config.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  slot = std::make_unique<ChildProcess>(
      argv,
      std::map<std::string, std::string>{{"BATON_BROKER_URL", amqp_url(broker_)}},
      (dir_ / ("worker-" + id + ".out")).string());
  return *slot;
}

nlohmann::json System::api(const std::string& path, int* status) const {
  http::Request req;
  req.url = url() + path;
  req.timeout = 10s;  // a loaded CI machine, not a slow conductor
  auto res = http::fetch(req);
  if (!res) return nullptr;
  if (status) *status = res->status;
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json System::api_post(const std::string& path, const nlohmann::json& body, int* status) const {
  http::Request req;
  req.method = "POST";
  req.url = url() + path;
  req.body = body.dump();
  req.timeout = 10s;
  auto res = http::fetch(req);
  if (!res) return nullptr;
  if (status) *status = res->status;
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json System::worker(const std::string& id) const {
  auto all = api("/api/v1/workers");
  if (!all.is_object()) return nullptr;
  for (const auto& w : all["workers"])
    if (w["id"] == id) return w;
  return nullptr;
}

int System::batonctl(const std::string& args, std::string* out) const {
  const std::string cmd = std::string(BATON_BIN_DIR) + "/batonctl --url " + url() + " " + args;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace baton::testing
