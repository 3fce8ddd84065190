#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <string>

#include "common/app/exit_codes.hpp"
#include "common/config/config_error.hpp"
#include "common/log/logging.hpp"
#include "common/sqlite/database.hpp"

namespace baton {

// The shared shape of baton-conductor's and baton-worker's main: parse the
// command line, load and validate the config (exit 2 naming file, line and
// key), optionally stop there (--check-config), then start and run the app
// (exit 1 when it cannot start).
// `add_flags` may add process-specific flags; `apply_flags` then folds them
// into the loaded config.
template <class Config, class App>
int run_main(int argc, char** argv, const std::string& name, const std::string& description,
             std::string config_path, const std::function<Config(const std::string&)>& load,
             const std::function<void(CLI::App&)>& add_flags = {},
             const std::function<void(Config&)>& apply_flags = {}) {
  CLI::App cli{name + ": " + description};
  bool check_only = false;
  if (add_flags) add_flags(cli);
  cli.add_option("-c,--config", config_path, "YAML config file")->capture_default_str();
  cli.add_flag("--check-config", check_only, "validate the config and exit (0 valid, 2 invalid)");
  cli.set_version_flag("--version", BATON_VERSION);
  CLI11_PARSE(cli, argc, argv);

  Config config;
  try {
    config = load(config_path);
  } catch (const config::ConfigError& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return kExitConfigInvalid;
  }
  if (apply_flags) apply_flags(config);
  if (check_only) {
    std::cout << config_path << ": ok\n";
    return 0;
  }

  log::init_logging(config.log, name);
  if (!sqlite::configure_library())
    log::logger(name)->warn("SQLite was in use before its settings were made; its allocation statistics stay on");
  App app(std::move(config));
  if (auto st = app.start(); !st) {
    log::logger(name)->critical("cannot start: {}", st.error().message);
    log::flush_logging();
    return kExitStartFailed;
  }
  app.run();
  log::flush_logging();
  return 0;
}

}  // namespace baton
