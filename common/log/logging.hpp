#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "common/config/common_config.hpp"

namespace baton::log {

// Console (stderr, coloured on a tty) plus, when `config.file` is set, a
// rotating file of at most max_file_bytes × max_files bytes in total. The
// level is BATON_LOG_LEVEL if set, else config.level. Loggers made earlier by
// logger() are moved onto the new sinks; `component` becomes the default
// spdlog logger. Call from main before other threads log.
void init_logging(const config::LogConfig& config, const std::string& component);

// A named logger ("amqp", "store", "core", "http", "worker", ...) writing to
// the shared sinks, created on first use. Before init_logging it logs to the
// console only, so tests and early start-up can log. Cache the pointer on hot
// paths: the lookup takes a lock.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

// Writes out buffered file output (the file sink flushes on warnings and
// otherwise every few seconds).
void flush_logging();

}  // namespace baton::log
