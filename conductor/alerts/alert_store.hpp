#pragma once

#include <vector>

#include "common/core/result.hpp"
#include "common/sqlite/database.hpp"
#include "conductor/alerts/alert_engine.hpp"
#include "conductor/alerts/remediation_policy.hpp"

namespace baton::conductor::alerts {

// Persistence for the alert engine, the notification log and remediation
// runs. Every write goes through the caller's open transaction, so an
// engine's output lands together with whatever caused it.
class AlertStore {
 public:
  // Run once as a schema migration (conductor/store/schema.cpp).
  static const char* kSchema;

  explicit AlertStore(sqlite::Database& db) : db_(db) {}

  // Upserts alerts, silences and windows; appends events.
  Status save(const EngineOutput& output);
  // Open alerts, live silences and windows, and the id high-water marks.
  Result<EngineState> load(TimePoint now);

  Result<std::vector<AlertRecord>> list_alerts(bool open_only, int limit);
  Result<std::vector<AlertEvent>> events_of(int64_t alert_id);

  Status record_notification(const NotificationAttempt& attempt);
  Result<std::vector<NotificationAttempt>> notifications_of(int64_t alert_id);

  Status save_remediation(const RemediationRun& run);
  // Newest first, for /api/v1/remediations.
  Result<std::vector<RemediationRun>> list_remediations(int limit);
  // What RemediationPolicy::restore needs: runs since `since` and those in flight.
  Result<std::vector<RemediationRun>> remediations_for_restore(TimePoint since);
  Result<int64_t> max_remediation_id();

 private:
  Status save_alert(const AlertRecord& alert);
  Status save_silence(const Silence& silence);
  Status save_window(const MaintenanceWindow& window);
  Result<std::vector<Silence>> load_silences(TimePoint now);
  Result<std::vector<MaintenanceWindow>> load_windows(TimePoint now);

  sqlite::Database& db_;
};

}  // namespace baton::conductor::alerts
