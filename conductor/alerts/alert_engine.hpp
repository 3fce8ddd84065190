#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "conductor/alerts/alert_types.hpp"
#include "conductor/alerts/alerts_config.hpp"
#include "conductor/alerts/flap_detector.hpp"
#include "conductor/alerts/silences.hpp"

namespace baton::conductor::alerts {

// What one engine call changed: rows to write (in the caller's transaction)
// and notifications to hand to the sender.
struct EngineOutput {
  std::vector<AlertRecord> alerts;
  std::vector<AlertEvent> events;
  std::vector<NotificationIntent> intents;
  std::vector<Silence> silences;  // added or ended
  std::vector<MaintenanceWindow> maintenance_windows;

  bool empty() const {
    return alerts.empty() && events.empty() && intents.empty() && silences.empty() && maintenance_windows.empty();
  }
};

// What the store hands back to rebuild an engine after a restart.
struct EngineState {
  std::vector<AlertRecord> open_alerts;
  std::vector<Silence> silences;
  std::vector<MaintenanceWindow> maintenance_windows;
  int64_t max_alert_id = 0;
  int64_t max_silence_id = 0;
  int64_t max_window_id = 0;
};

// Turns check results, case problems and worker liveness into alerts,
// escalations and notification intents. Single-threaded: the conductor calls
// it on its core strand, and time comes only from the arguments.
//
// Escalation after an expired acknowledgement *restarts from the current
// level*: the level reached before the ack is notified again at once, and the
// next level follows after the usual gap between the two levels (not at its
// original time, which has long passed).
class AlertEngine {
 public:
  explicit AlertEngine(AlertsConfig config);

  EngineOutput observe(const CheckObservation& observation);
  EngineOutput observe(const CaseProblem& problem);
  EngineOutput observe(const WorkerLiveness& liveness);

  // Errc::not_found when no open alert has this id.
  Result<EngineOutput> acknowledge(int64_t alert_id, const std::string& author, const std::string& comment,
                                   std::optional<TimePoint> until, TimePoint now);
  // Moves an open alert one level up at once (a failed or refused remediation).
  Result<EngineOutput> escalate_now(const std::string& key, const std::string& reason, TimePoint now);

  // The silence's id is assigned here and returned in the output.
  EngineOutput add_silence(Silence silence, TimePoint now);
  Result<EngineOutput> expire_silence(int64_t silence_id, TimePoint now);
  EngineOutput add_maintenance(MaintenanceWindow window, TimePoint now);
  Result<EngineOutput> end_maintenance(int64_t window_id, TimePoint now);

  // Due escalations, repeats, expired acks, holds that started or ended.
  EngineOutput tick(TimePoint now);
  // When tick() next has something to do; nullopt: nothing scheduled.
  std::optional<TimePoint> next_wakeup() const;

  // For schedules: is this worker (with its last known labels) in maintenance?
  bool in_maintenance(const std::string& worker_id, TimePoint now) const;

  void restore(EngineState state);

  const AlertRecord* find(int64_t alert_id) const;
  const AlertRecord* find_key(const std::string& key) const;
  std::vector<AlertRecord> open_alerts() const;
  const std::vector<Silence>& silences() const { return silences_; }
  const std::vector<MaintenanceWindow>& maintenance_windows() const { return windows_; }
  const AlertsConfig& config() const { return config_; }

  static std::string check_key(const std::string& worker_id, const std::string& check);
  static std::string case_key(const std::string& case_id);
  static std::string worker_key(const std::string& worker_id);

 private:
  // Collects one call's changes; finish() turns them into an EngineOutput.
  struct Changes {
    std::set<int64_t> touched;
    std::vector<AlertRecord> resolved;
    EngineOutput out;
  };

  AlertRecord& open_alert(const std::string& key, AlertKind kind, TimePoint at, Changes& changes);
  AlertRecord* open_by_key(const std::string& key);
  void event(Changes& changes, const AlertRecord& alert, AlertEventType type, std::string message, TimePoint at);
  void notify(Changes& changes, AlertRecord& alert, const std::vector<std::string>& channels, int level,
              NotificationKind kind);
  void notify_told_channels(Changes& changes, const AlertRecord& alert, NotificationKind kind);
  Severity severity_for(const CheckObservation& observation) const;
  void update_flapping(AlertRecord& alert, FlapDetector& detector, bool changed, TimePoint at, Changes& changes);
  void set_severity(AlertRecord& alert, Severity severity, TimePoint at, Changes& changes);
  void make_hard(AlertRecord& alert, TimePoint at, Changes& changes);
  void resolve(AlertRecord& alert, TimePoint at, Changes& changes);
  // Re-reads silences, maintenance and worker liveness; records what changed.
  void update_holds(AlertRecord& alert, TimePoint now, Changes& changes);
  // Escalation (escalation.cpp): notifies due levels and sets next_escalation_at.
  void escalate(AlertRecord& alert, TimePoint now, Changes& changes);
  void check_response_time(AlertRecord& alert, TimePoint now, Changes& changes);
  void expire_ack(AlertRecord& alert, TimePoint now, Changes& changes);
  void reevaluate(TimePoint now, Changes& changes);
  EngineOutput finish(Changes& changes);
  void saw(TimePoint now) { latest_ = std::max(latest_, now); }

  AlertsConfig config_;
  std::map<int64_t, AlertRecord> alerts_;  // open only
  std::map<std::string, int64_t> by_key_;
  std::map<std::string, FlapDetector> flap_;  // by check key, kept across alert instances
  std::map<std::string, std::vector<std::string>> worker_labels_;
  std::set<std::string> offline_workers_;
  std::vector<Silence> silences_;
  std::vector<MaintenanceWindow> windows_;
  int64_t next_alert_id_ = 1;
  int64_t next_silence_id_ = 1;
  int64_t next_window_id_ = 1;
  TimePoint latest_;  // the latest time any call brought, so next_wakeup() skips what has begun
};

}  // namespace baton::conductor::alerts
