#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.hpp"

namespace baton::conductor {

// The names the operations guide queries (DESIGN.md, Case lifecycle).
enum class CaseStatus { queued, processing, executing, completed, failed, cancelled };
const char* to_string(CaseStatus status);  // "QUEUED", ...
std::optional<CaseStatus> parse_case_status(const std::string& text);  // case-insensitive
inline bool is_terminal(CaseStatus s) {
  return s == CaseStatus::completed || s == CaseStatus::failed || s == CaseStatus::cancelled;
}

struct CaseRecord {
  std::string id;
  std::string workflow;
  std::map<std::string, std::string> params;
  int priority = 0;
  CaseStatus status = CaseStatus::queued;
  unsigned current_step = 0;   // index into the workflow's steps
  unsigned attempt = 0;        // of the current step; 0 before the first dispatch
  unsigned retry_base = 0;     // attempts before the last manual retry don't count against the budget
  std::string worker_id;       // while PROCESSING/EXECUTING
  int progress = -1;           // 0-100 from the job, -1 unknown
  std::string progress_message;
  std::string message;         // why the case is where it is
  bool cancel_requested = false;
  int64_t seq = 0;             // submission order, for FIFO within a priority
  TimePoint created_at{};
  TimePoint updated_at{};
  TimePoint not_before{};      // retry back-off: not placed before this
};

struct CaseHistoryRow {
  TimePoint at{};
  CaseStatus status = CaseStatus::queued;
  unsigned step = 0;
  unsigned attempt = 0;
  std::string worker_id;
  std::string message;
};

enum class AttemptStatus { dispatched, running, succeeded, failed, timed_out, cancelled, rejected, lost };
const char* to_string(AttemptStatus status);  // "DISPATCHED", ...
std::optional<AttemptStatus> parse_attempt_status(const std::string& text);
inline bool is_finished(AttemptStatus s) { return s != AttemptStatus::dispatched && s != AttemptStatus::running; }

struct StepAttemptRecord {
  std::string case_id;
  unsigned step = 0;
  std::string step_name;
  unsigned attempt = 0;
  std::string worker_id;
  AttemptStatus status = AttemptStatus::dispatched;
  unsigned slots = 0;
  std::vector<unsigned> gpus;
  uint32_t pid = 0;
  int exit_code = 0;
  std::string message;
  std::string output_tail;
  TimePoint dispatched_at{};
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
};

// A step flagged as stuck (kind "stuck"), for alerting to escalate.
struct CaseProblemRow {
  std::string case_id;
  unsigned step = 0;
  unsigned attempt = 0;
  std::string worker_id;
  std::string kind;
  std::string message;
  TimePoint at{};
};

struct CaseFilter {
  std::optional<CaseStatus> status;
  std::string workflow;
  unsigned limit = 200;
};

}  // namespace baton::conductor
