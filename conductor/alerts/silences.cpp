#include "conductor/alerts/silences.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace baton::conductor::alerts {

bool glob_match(const std::string& pattern, const std::string& text) {
  return pattern.empty() || ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

namespace {

bool any_matches(const std::string& pattern, const std::vector<std::string>& values) {
  return std::any_of(values.begin(), values.end(), [&](const std::string& v) { return glob_match(pattern, v); });
}

}  // namespace

bool AlertMatcher::matches(const AlertRecord& alert) const {
  if (!glob_match(worker, alert.worker_id)) return false;
  if (!check.empty()) {
    // Case alerts have no check; their case id stands in so a silence can name one.
    const std::string& subject = alert.kind == AlertKind::case_problem ? alert.case_id : alert.check;
    if (!glob_match(check, subject)) return false;
  }
  if (!label.empty() && !any_matches(label, alert.labels)) return false;
  return !severity || *severity == alert.severity;
}

bool MaintenanceWindow::covers(const std::string& worker, const std::vector<std::string>& worker_labels) const {
  for (const auto& pattern : workers)
    if (glob_match(pattern, worker)) return true;
  for (const auto& pattern : labels)
    if (any_matches(pattern, worker_labels)) return true;
  return false;
}

}  // namespace baton::conductor::alerts
