#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace baton::config {

// A config problem an operator can fix: what() is the whole story, e.g.
//   config/worker.yaml:12: broker.port: expected an integer from 1 to 65535, got "abc"
//   environment variable BATON_HTTP_PORT: expected an integer from 0 to 65535, got "x"
// Thrown at start-up only; main prints what() and exits with code 2.
class ConfigError : public std::runtime_error {
 public:
  // line is 1-based; 0 leaves it out (e.g. the file cannot be read). key is
  // the dotted path (`broker.heartbeat`, `worker.labels[2]`), empty if none.
  ConfigError(std::string file, int line, std::string key, std::string message)
      : ConfigError(false, std::move(file), line, std::move(key), std::move(message)) {}

  static ConfigError environment(std::string variable, std::string message) {
    return ConfigError(true, "", 0, std::move(variable), std::move(message));
  }

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  // The YAML key path, or the variable name when from_environment().
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }
  bool from_environment() const { return from_environment_; }

 private:
  ConfigError(bool from_environment, std::string file, int line, std::string key,
              std::string message)
      : std::runtime_error(format(from_environment, file, line, key, message)),
        file_(std::move(file)),
        line_(line),
        key_(std::move(key)),
        message_(std::move(message)),
        from_environment_(from_environment) {}

  static std::string format(bool from_environment, const std::string& file, int line,
                            const std::string& key, const std::string& message) {
    std::string text;
    if (from_environment) {
      text = "environment variable ";
    } else if (!file.empty()) {
      text = file;
      if (line > 0) text += ":" + std::to_string(line);
      text += ": ";
    }
    if (!key.empty()) text += key + ": ";
    return text + message;
  }

  std::string file_;
  int line_;
  std::string key_;
  std::string message_;
  bool from_environment_;
};

}  // namespace baton::config
