#include "common/config/broker_config.hpp"

#include <chrono>
#include <cstdlib>
#include <limits>

namespace baton::config {

using namespace std::chrono_literals;

void read_broker_section(MapReader& section, amqp::BrokerSettings& broker) {
  if (auto url = section.string("url")) {
    auto parsed = amqp::apply_amqp_url(broker, *url);
    if (!parsed) section.fail("url", parsed.error().message);
    broker = std::move(parsed).value();
  }
  if (auto host = section.string("host")) broker.host = *host;
  if (auto port = section.integer("port", 1, 65535)) broker.port = static_cast<int>(*port);
  if (auto vhost = section.string("vhost")) broker.vhost = *vhost;
  if (auto user = section.string("user")) broker.user = *user;
  if (auto password = section.string("password")) broker.password = *password;
  // AMQP negotiates heartbeats in whole seconds, 0 turning them off.
  if (auto heartbeat = section.duration("heartbeat", 0s, 65535s)) {
    if (heartbeat->count() % 1000 != 0) section.fail("heartbeat", "must be whole seconds");
    broker.heartbeat = std::chrono::duration_cast<std::chrono::seconds>(*heartbeat);
  }
  if (auto prefetch = section.integer("prefetch", 0, 65535)) {
    broker.prefetch = static_cast<uint16_t>(*prefetch);
  }
  // RabbitMQ itself refuses messages above 512MB.
  if (auto bytes = section.byte_size("max_message_bytes", 1024, 512ULL << 20)) {
    broker.max_message_bytes = *bytes;
  }
  const auto initial = section.duration("reconnect_initial", 1ms, 1h);
  const auto max = section.duration("reconnect_max", 1ms, 1h);
  if (initial) broker.reconnect_initial = *initial;
  if (max) broker.reconnect_max = *max;
  if (broker.reconnect_max < broker.reconnect_initial) {
    section.fail(max ? "reconnect_max" : "reconnect_initial",
                 "reconnect_max (" + format_duration(broker.reconnect_max) +
                     ") must not be shorter than reconnect_initial (" +
                     format_duration(broker.reconnect_initial) + ")");
  }
  if (auto name = section.string("connection_name")) broker.connection_name = *name;
  if (auto persistent = section.boolean("persistent_messages")) broker.persistent_messages = *persistent;
}

const std::vector<std::string>& log_levels() {
  static const std::vector<std::string> levels{"trace", "debug", "info", "warn",
                                               "error", "critical", "off"};
  return levels;
}

void read_log_section(MapReader& section, LogConfig& log) {
  if (auto level = section.one_of("level", log_levels())) log.level = *level;
  if (auto file = section.string("file")) log.file = *file;
  if (auto size = section.byte_size("max_file_size", 1024, 1ULL << 40)) log.max_file_bytes = *size;
  if (auto files = section.integer("max_files", 1, 1000)) log.max_files = static_cast<unsigned>(*files);
}

std::optional<std::string> env_value(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

void apply_common_env(amqp::BrokerSettings& broker, LogConfig& log) {
  if (auto url = env_value("BATON_BROKER_URL")) {
    auto parsed = amqp::apply_amqp_url(broker, *url);
    if (!parsed) throw ConfigError::environment("BATON_BROKER_URL", parsed.error().message);
    broker = std::move(parsed).value();
  }
  if (auto password = env_value("BATON_BROKER_PASSWORD")) broker.password = *password;
  if (auto level = env_value("BATON_LOG_LEVEL")) {
    auto parsed = parse_one_of(*level, log_levels());
    if (!parsed) throw ConfigError::environment("BATON_LOG_LEVEL", parsed.error().message);
    log.level = parsed.value();
  }
}

}  // namespace baton::config
