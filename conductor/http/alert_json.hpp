#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/alerts/alert_types.hpp"
#include "conductor/alerts/remediation_policy.hpp"
#include "conductor/alerts/silences.hpp"

namespace baton::conductor {

// Alerting objects as the API shows them.
nlohmann::json alert_to_json(const alerts::AlertRecord& alert, TimePoint now);
nlohmann::json alert_event_to_json(const alerts::AlertEvent& event);
nlohmann::json notification_to_json(const alerts::NotificationAttempt& attempt);
nlohmann::json silence_to_json(const alerts::Silence& silence, TimePoint now);
nlohmann::json maintenance_window_to_json(const alerts::MaintenanceWindow& window, TimePoint now);
nlohmann::json remediation_to_json(const alerts::RemediationRun& run);

// Who did it when the body does not say.
inline constexpr const char* kDefaultAuthor = "api";

struct AckRequest {
  std::string comment;
  std::string author;
  std::optional<TimePoint> until;
};
// {"comment": "...", "author"?: "...", "until"?: "2h" | ISO-8601}. A comment
// is required: an ack without a reason helps nobody on the next shift.
Result<AckRequest> ack_from_json(const std::string& body, TimePoint now);

// {"worker"?, "check"?, "label"?, "severity"?, "duration": "2h" | "ends_at": ISO,
//  "starts_at"?: ISO (default now), "expire_on_resolve"?: bool, "comment", "author"?}
// At least one matcher: a silence of everything must say so ("worker": "*").
Result<alerts::Silence> silence_from_json(const std::string& body, TimePoint now);

// {"workers"?: [globs], "labels"?: [globs] (at least one of them),
//  "starts_at"?: ISO (default now), "duration" | "ends_at", "comment", "author"?}
Result<alerts::MaintenanceWindow> maintenance_window_from_json(const std::string& body, TimePoint now);

}  // namespace baton::conductor
