#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conductor/alerts/alert_types.hpp"

namespace baton::conductor::alerts {

// Shell-style glob (fnmatch): "*", "?", "[a-z]". An empty pattern matches anything.
bool glob_match(const std::string& pattern, const std::string& text);

// Every non-empty matcher must match; `label` matches when any of the
// alert's labels does.
struct AlertMatcher {
  std::string worker;
  std::string check;
  std::string label;
  std::optional<Severity> severity;

  bool matches(const AlertRecord& alert) const;
};

// A silenced alert is still opened, recorded and escalation-tracked, but
// nothing is sent for it until the silence ends (resolves are always sent).
struct Silence {
  int64_t id = 0;
  AlertMatcher matcher;
  TimePoint starts_at;
  TimePoint ends_at;
  bool expire_on_resolve = false;  // the first resolve of a matching alert ends it
  std::string author;
  std::string comment;

  bool active(TimePoint now) const { return starts_at <= now && now < ends_at; }
};

// Like a silence for a set of workers (globs) or labels over a time range;
// schedules ask holds() so they can hold their runs too.
struct MaintenanceWindow {
  int64_t id = 0;
  std::vector<std::string> workers;  // globs
  std::vector<std::string> labels;   // globs; a worker carrying any of them is covered
  TimePoint starts_at;
  TimePoint ends_at;
  std::string author;
  std::string comment;

  bool active(TimePoint now) const { return starts_at <= now && now < ends_at; }
  bool covers(const std::string& worker, const std::vector<std::string>& worker_labels) const;
  bool holds(const std::string& worker, const std::vector<std::string>& worker_labels, TimePoint now) const {
    return active(now) && covers(worker, worker_labels);
  }
};

}  // namespace baton::conductor::alerts
