#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/core/result.hpp"

namespace baton::worker::checks {

// Where a log scan stopped: the file's inode (to notice rotation) and the
// byte offset just past the last complete line counted.
struct LogPosition {
  uint64_t inode = 0;
  uint64_t offset = 0;
};

// One small file per (path, pattern) under state_dir, so two scans of the
// same log for different patterns keep separate positions. Writes replace
// the file atomically, so a crash leaves the old position, never half of one.
class LogPositionStore {
 public:
  LogPositionStore(std::string state_dir, const std::string& log_path, const std::string& pattern);

  // nullopt when there is no saved position (first run) or it is unreadable.
  std::optional<LogPosition> load() const;
  Status save(const LogPosition& position) const;
  const std::string& file() const { return file_; }

 private:
  std::string state_dir_;
  std::string file_;
  std::string log_path_;
  std::string pattern_;
};

}  // namespace baton::worker::checks
