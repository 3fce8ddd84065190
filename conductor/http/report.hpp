#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/alerts/alert_types.hpp"
#include "conductor/store/case_records.hpp"
#include "conductor/store/check_records.hpp"
#include "conductor/store/worker_record.hpp"

namespace baton::conductor {

class ConductorStore;

// The daily health report (GET /api/v1/report, `batonctl report`): what an
// operator reads first thing to know whether anything needs doing, with the
// reasons spelt out as recommendations.

// Disk fill levels that earn a recommendation, and how urgent it is.
inline constexpr double kDiskPlanPercent = 80;
inline constexpr double kDiskSoonPercent = 90;
inline constexpr double kDiskNowPercent = 95;
// A backup older than this is missing.
inline constexpr std::chrono::hours kBackupMaxAge{24};
// How far back stuck-case problems are looked for.
inline constexpr std::chrono::hours kStuckLookback{24};

// Everything the report is computed from, read in one pass over the store.
struct ReportInputs {
  std::vector<WorkerRecord> workers;
  std::vector<CheckResultRecord> latest_checks;
  std::vector<alerts::AlertRecord> open_alerts;
  std::map<std::string, unsigned> case_counts;
  // The newest "stuck" problem of each case that is still PROCESSING or
  // EXECUTING (a case that moved on or ended is no longer stuck).
  std::vector<CaseProblemRow> stuck_cases;
  // The last successful, non-dry-run sqlite_backup maintenance run.
  std::optional<TimePoint> last_backup;
};

Result<ReportInputs> gather_report_inputs(ConductorStore& store, TimePoint now);

// A worker's load from its latest heartbeat, in percent.
struct WorkerLoad {
  double memory_percent = 0;  // (total - available) / total
  double cpu_percent = 0;
  double load_percent = 0;  // load1 / cores x 100, capped at 100
  unsigned cores = 0;       // the worker's slots: heartbeats carry no core count
  double load1 = 0;
  struct Disk {
    std::string path;
    double used_percent = 0;
    uint64_t used_bytes = 0;
    uint64_t total_bytes = 0;
  };
  std::vector<Disk> disks;
};
// Nothing when the worker has sent no usable heartbeat.
std::optional<WorkerLoad> worker_load(const WorkerRecord& worker);

// 0.4 x memory % + 0.3 x CPU % + 0.3 x load %, rounded to one decimal:
// 0 is idle (best), 100 saturated (worst). Memory weighs most because running
// out of it kills jobs; CPU and the run queue only slow them.
inline constexpr const char* kHealthScoreFormula =
    "0.4*memory_percent + 0.3*cpu_percent + 0.3*load_percent, where load_percent = min(100, load1/cores*100) "
    "and cores = the worker's slots (at least 1); 0 = idle (best), 100 = saturated (worst); null when offline "
    "or no heartbeat";
double health_score(const WorkerLoad& load);

// A worker offline for any reason other than a clean stop it announced
// (WorkerStopping) was expected to be up.
bool expected_online(const WorkerRecord& worker);

enum class OverallStatus { healthy, degraded, unhealthy };
const char* to_string(OverallStatus status);
inline constexpr const char* kOverallStatusRule =
    "unhealthy: a worker that was expected up is offline, a check is CRITICAL or a critical alert is open; "
    "degraded: a check is WARNING or UNKNOWN, or any alert is open; healthy otherwise";
struct OverallVerdict {
  OverallStatus status = OverallStatus::healthy;
  std::vector<std::string> reasons;
};
OverallVerdict overall_status(const ReportInputs& inputs);

// Plain sentences, most urgent first, each saying what to look at and how.
std::vector<std::string> recommendations(const ReportInputs& inputs, TimePoint now);

// The whole report: {generated_at, overall_status, status_reasons,
// overall_status_rule, health_score_formula, workers: [...],
// failing_checks: [...], open_alerts: [...], cases: {counts, stuck},
// last_backup, recommendations: [...]}.
nlohmann::json build_health_report(const ReportInputs& inputs, TimePoint now);

}  // namespace baton::conductor
