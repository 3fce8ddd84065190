#include "tests/integration/support/broker_env.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include "common/http/client.hpp"

namespace baton::testing {

namespace {

std::map<std::string, std::string> read_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path + " (is the ctest broker fixture running?)");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) value = value.substr(1, value.size() - 2);
    out[line.substr(0, eq)] = value;
  }
  return out;
}

http::Response mgmt(const std::string& method, const std::string& path, const std::string& body) {
  const auto& env = broker_env();
  http::Request req;
  req.method = method;
  req.url = env.mgmt_url + path;
  req.body = body;
  req.basic_user = env.user;
  req.basic_password = env.password;
  req.timeout = std::chrono::seconds(10);
  auto res = http::fetch(req);
  if (!res) throw std::runtime_error(method + " " + path + ": " + res.error().message);
  if (res->status >= 300)
    throw std::runtime_error(method + " " + path + ": HTTP " + std::to_string(res->status) + " " + res->body);
  return *res;
}

}  // namespace

const BrokerEnv& broker_env() {
  static const BrokerEnv env = [] {
    const char* dir = std::getenv("BATON_TEST_BROKER_DIR");
    if (!dir) throw std::runtime_error("BATON_TEST_BROKER_DIR is not set: run the integration tests through ctest");
    auto vars = read_env_file(std::string(dir) + "/broker.env");
    BrokerEnv e;
    e.dir = dir;
    e.node = vars["NODE"];
    e.user = vars["USER"];
    e.password = vars["PASSWORD"];
    e.amqp_port = std::stoi(vars["AMQP_PORT"]);
    e.mgmt_url = vars["MGMT_URL"];
    return e;
  }();
  return env;
}

std::string encode_vhost(const std::string& vhost) {
  std::string out;
  for (char c : vhost) {
    if (c == '/') out += "%2f";
    else out += c;
  }
  return out;
}

amqp::BrokerSettings make_vhost(const std::string& test_name) {
  static std::atomic<int> counter{0};
  std::string name = "t-" + test_name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  const auto& env = broker_env();
  mgmt("PUT", "/api/vhosts/" + name, "");
  mgmt("PUT", "/api/permissions/" + name + "/" + env.user, R"({"configure":".*","write":".*","read":".*"})");
  amqp::BrokerSettings s;
  s.host = "127.0.0.1";
  s.port = env.amqp_port;
  s.vhost = name;
  s.user = env.user;
  s.password = env.password;
  s.heartbeat = std::chrono::seconds(5);
  s.reconnect_initial = std::chrono::milliseconds(100);
  s.reconnect_max = std::chrono::milliseconds(1000);
  s.connection_name = test_name;
  return s;
}

std::string amqp_url(const amqp::BrokerSettings& s) {
  return "amqp://" + s.user + ":" + s.password + "@" + s.host + ":" + std::to_string(s.port) + "/" +
         encode_vhost(s.vhost);
}

nlohmann::json mgmt_get(const std::string& path) { return nlohmann::json::parse(mgmt("GET", path, "").body); }

nlohmann::json mgmt_post(const std::string& path, const nlohmann::json& body) {
  auto res = mgmt("POST", path, body.dump());
  return res.body.empty() ? nlohmann::json() : nlohmann::json::parse(res.body);
}

long queue_depth(const std::string& vhost, const std::string& queue) {
  return mgmt_get("/api/queues/" + encode_vhost(vhost) + "/" + queue).value("messages_ready", 0L);
}

nlohmann::json take_messages(const std::string& vhost, const std::string& queue, int n) {
  return mgmt_post("/api/queues/" + encode_vhost(vhost) + "/" + queue + "/get",
                   {{"count", n}, {"ackmode", "ack_requeue_false"}, {"encoding", "auto"}});
}

void mgmt_publish(const std::string& vhost, const std::string& exchange, const std::string& routing_key,
                  const std::string& payload, const std::string& content_type, const nlohmann::json& extra_properties) {
  nlohmann::json properties = {{"content_type", content_type}, {"delivery_mode", 2}};
  properties.update(extra_properties);
  auto res = mgmt_post("/api/exchanges/" + encode_vhost(vhost) + "/" + (exchange.empty() ? "amq.default" : exchange) +
                           "/publish",
                       {{"properties", properties},
                        {"routing_key", routing_key},
                        {"payload", payload},
                        {"payload_encoding", "string"}});
  if (!res.value("routed", false)) throw std::runtime_error("message to " + exchange + " was not routed");
}

void declare_queue(const std::string& vhost, const std::string& queue) {
  mgmt("PUT", "/api/queues/" + encode_vhost(vhost) + "/" + queue, R"({"durable":true})");
}

int broker_ctl(const std::vector<std::string>& args) {
  const auto& env = broker_env();
  std::vector<std::string> argv = {std::string(BATON_SOURCE_DIR) + "/run.sh", "broker-ctl", env.dir};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace baton::testing
