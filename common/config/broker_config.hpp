#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/amqp/broker_settings.hpp"
#include "common/config/common_config.hpp"
#include "common/config/yaml_reader.hpp"

// The parts every Baton config file shares: the `broker:` and `log:` sections
// and the environment overrides that apply to both processes.
namespace baton::config {

// Keys of `broker:`. `url` is applied first, so the single keys (host, port,
// vhost, user, password, ...) override its parts.
void read_broker_section(MapReader& section, amqp::BrokerSettings& broker);

// Keys of `log:`: level, file, max_file_size, max_files.
void read_log_section(MapReader& section, LogConfig& log);

// The levels `log.level` and BATON_LOG_LEVEL accept.
const std::vector<std::string>& log_levels();

// BATON_BROKER_URL (the whole URL), BATON_BROKER_PASSWORD, BATON_LOG_LEVEL.
// Throws ConfigError naming the variable when a value is invalid.
void apply_common_env(amqp::BrokerSettings& broker, LogConfig& log);

// The variable's value; nullopt when unset or empty, so `VAR=` in a unit file
// or shell does not wipe a setting from the config file.
std::optional<std::string> env_value(const char* name);

}  // namespace baton::config
