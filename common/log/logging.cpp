#include "common/log/logging.hpp"

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace baton::log {

namespace {

constexpr const char* kPattern = "%Y-%m-%d %H:%M:%S.%e %^%-7l%$ [%n] %v";

std::optional<spdlog::level::level_enum> parse_level(const std::string& name) {
  using spdlog::level::level_enum;
  if (name == "trace") return level_enum::trace;
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn" || name == "warning") return level_enum::warn;
  if (name == "error") return level_enum::err;
  if (name == "critical") return level_enum::critical;
  if (name == "off") return level_enum::off;
  return std::nullopt;
}

spdlog::sink_ptr console_sink() {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern(kPattern);
  return sink;
}

// The sinks and level every logger made here shares. spdlog keeps its own
// registry; this adds what it lacks: one sink set for all named loggers.
struct Shared {
  std::mutex mutex;
  std::vector<spdlog::sink_ptr> sinks;
  spdlog::level::level_enum level = spdlog::level::info;
  std::vector<std::weak_ptr<spdlog::logger>> loggers;
};

Shared& shared() {
  static Shared state;
  return state;
}

// Caller holds the mutex.
void ensure_console_fallback(Shared& state) {
  if (!state.sinks.empty()) return;
  state.sinks.push_back(console_sink());
  const char* env = std::getenv("BATON_LOG_LEVEL");
  if (auto level = parse_level(env ? env : "")) state.level = *level;
}

std::shared_ptr<spdlog::logger> make_logger_locked(Shared& state, const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  ensure_console_fallback(state);
  auto created = std::make_shared<spdlog::logger>(name, state.sinks.begin(), state.sinks.end());
  created->set_level(state.level);
  created->flush_on(spdlog::level::warn);
  spdlog::register_logger(created);
  state.loggers.push_back(created);
  return created;
}

}  // namespace

void init_logging(const config::LogConfig& config, const std::string& component) {
  std::vector<spdlog::sink_ptr> sinks{console_sink()};
  std::optional<std::string> file_problem;
  if (!config.file.empty()) {
    try {
      const auto parent = std::filesystem::path(config.file).parent_path();
      std::error_code ignored;  // the sink's open reports the real problem
      if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
      // spdlog counts rotated files besides the current one.
      const size_t rotated = config.max_files > 0 ? config.max_files - 1 : 0;
      auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          config.file, config.max_file_bytes, rotated);
      file->set_pattern(kPattern);
      sinks.push_back(file);
    } catch (const spdlog::spdlog_ex& e) {
      file_problem = e.what();
    }
  }

  const char* env = std::getenv("BATON_LOG_LEVEL");
  auto level = parse_level(env ? env : config.level);
  std::optional<std::string> level_problem;
  if (!level) {
    level_problem = env ? "BATON_LOG_LEVEL=" + std::string(env) : "log.level " + config.level;
    level = spdlog::level::info;
  }

  std::shared_ptr<spdlog::logger> main_logger;
  {
    Shared& state = shared();
    std::lock_guard lock(state.mutex);
    state.sinks = sinks;
    state.level = *level;
    std::vector<std::weak_ptr<spdlog::logger>> alive;
    for (const auto& weak : state.loggers) {
      if (auto existing = weak.lock()) {
        existing->sinks() = sinks;
        existing->set_level(*level);
        alive.push_back(existing);
      }
    }
    state.loggers = std::move(alive);
    main_logger = make_logger_locked(state, component);
  }
  spdlog::set_default_logger(main_logger);
  spdlog::flush_every(std::chrono::seconds(2));

  if (file_problem) {
    main_logger->warn("{}; logging to the console only", *file_problem);
  }
  if (level_problem) main_logger->warn("unknown log level ({}); using info", *level_problem);
}

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  Shared& state = shared();
  std::lock_guard lock(state.mutex);
  return make_logger_locked(state, name);
}

void flush_logging() {
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& each) { each->flush(); });
}

}  // namespace baton::log
