#include "worker/checks/checks_config.hpp"

#include "common/config/yaml_reader.hpp"

namespace baton::worker::checks {

void read_checks_config(config::MapReader& reader, ChecksConfig& config) {
  using std::chrono::milliseconds;
  if (auto dirs = reader.string_list("plugin_dirs")) config.plugin_dirs = std::move(*dirs);
  if (auto plugins = reader.string_list("plugins")) {
    for (const auto& name : *plugins) {
      // Names only: a path would bypass plugin_dirs.
      if (name.find('/') != std::string::npos || name == "." || name == "..")
        reader.fail("plugins", "expected plugin names without '/', got \"" + name + "\"");
    }
    config.plugins = std::move(*plugins);
  }
  if (auto bytes = reader.byte_size("max_output_bytes", 256, 1024 * 1024)) config.max_output_bytes = *bytes;
  if (auto timeout = reader.duration("default_timeout", milliseconds(100), milliseconds(3'600'000)))
    config.default_timeout = *timeout;
  if (auto timeout = reader.duration("max_timeout", milliseconds(100), milliseconds(86'400'000)))
    config.max_timeout = *timeout;
  if (config.default_timeout > config.max_timeout)
    reader.fail("default_timeout", "must not exceed max_timeout (" + config::format_duration(config.max_timeout) + ")");
  if (auto dir = reader.string("state_dir")) config.state_dir = std::move(*dir);
  if (auto path = reader.string("nvidia_smi")) config.nvidia_smi = std::move(*path);
  reader.section("rabbitmq", [&](config::MapReader& rabbit) {
    if (auto url = rabbit.string("management_url")) {
      if (url->rfind("http://", 0) != 0) rabbit.fail("management_url", "expected an http:// URL, got \"" + *url + "\"");
      config.rabbitmq.url = std::move(*url);
    }
    if (auto user = rabbit.string("user")) config.rabbitmq.user = std::move(*user);
    if (auto password = rabbit.string("password")) config.rabbitmq.password = std::move(*password);
  });
}

}  // namespace baton::worker::checks
