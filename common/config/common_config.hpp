#pragma once

#include <cstdint>
#include <string>

#include "common/amqp/broker_settings.hpp"

namespace baton::config {

struct LogConfig {
  std::string level = "info";          // trace|debug|info|warn|error|critical|off; BATON_LOG_LEVEL overrides
  std::string file;                    // empty: console only
  uint64_t max_file_bytes = 10 * 1024 * 1024;
  unsigned max_files = 3;
};

}  // namespace baton::config
