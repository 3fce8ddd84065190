#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace baton::worker {

// Reads the lines a job appends to its log, a poll at a time. Following the
// file rather than a pipe means a job never depends on the worker being
// alive to write its output, and a restarted worker can follow it again.
class LogFollower {
 public:
  LogFollower() = default;
  LogFollower(std::string path, uint64_t offset) : path_(std::move(path)), offset_(offset) {}

  // Starts at the file's current end (re-adoption: older lines are history).
  static LogFollower at_end(const std::string& path);

  // Complete lines written since the last call. With `final`, an unfinished
  // last line counts too.
  std::vector<std::string> poll(bool final = false);

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
};

struct ProgressLine {
  unsigned percent = 0;
  std::string message;
};

// `BATON_PROGRESS <0-100> [message]`; nullopt for any other line.
std::optional<ProgressLine> parse_progress(const std::string& line);

// The last `count` lines of a file (at most its last 64 KiB), joined by '\n'.
std::string read_last_lines(const std::string& path, unsigned count);

}  // namespace baton::worker
