#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/amqp/broker_settings.hpp"

namespace baton::testing {

// The private broker the ctest fixture started (run.sh broker-start), read
// from $BATON_TEST_BROKER_DIR/broker.env.
struct BrokerEnv {
  std::string dir;
  std::string node;
  std::string user;
  std::string password;
  int amqp_port = 0;
  std::string mgmt_url;
};
const BrokerEnv& broker_env();

// Each test works in a vhost of its own, so tests never see each other's
// queues. Returns settings for it with a short reconnect back-off.
amqp::BrokerSettings make_vhost(const std::string& test_name);
std::string amqp_url(const amqp::BrokerSettings& settings);

// The management HTTP API, as the broker's admin.
nlohmann::json mgmt_get(const std::string& path);
nlohmann::json mgmt_post(const std::string& path, const nlohmann::json& body);
std::string encode_vhost(const std::string& vhost);
// Number of messages ready in a queue (the management API's view).
long queue_depth(const std::string& vhost, const std::string& queue);
// Takes up to n messages off a queue (ack mode: remove them).
nlohmann::json take_messages(const std::string& vhost, const std::string& queue, int n);
// Publishes through the management API: an independent client.
void mgmt_publish(const std::string& vhost, const std::string& exchange, const std::string& routing_key,
                  const std::string& payload, const std::string& content_type,
                  const nlohmann::json& extra_properties = nlohmann::json::object());
// Declares a plain durable queue (e.g. for replies).
void declare_queue(const std::string& vhost, const std::string& queue);

// rabbitmqctl against the private node, e.g. {"stop_app"}; returns the exit code.
int broker_ctl(const std::vector<std::string>& args);

// Polls `condition` until it holds or the timeout passes. For state held by
// another process (a broker, a conductor), where no event can be awaited.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(50));

}  // namespace baton::testing
