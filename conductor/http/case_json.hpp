#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "baton/intake.pb.h"
#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/store/case_records.hpp"

namespace baton::conductor {

// A case as the API shows it. current_step is the index into the workflow's
// steps; progress is null while unknown; age_seconds counts from submission.
nlohmann::json case_to_json(const CaseRecord& record, TimePoint now);
nlohmann::json case_history_to_json(const CaseHistoryRow& row);
nlohmann::json attempt_to_json(const StepAttemptRecord& attempt);

// The body of POST /api/v1/cases:
//   {"id"?: "...", "workflow": "dose", "params"?: {"plan": "p1"}, "priority"?: 0}
// Parameter values may be strings, numbers or booleans (sent on as their JSON
// text). Unknown fields are refused, so a typo does not silently drop a value.
// Errors are Errc::invalid_argument and name the field.
Result<v1::SubmitCase> submit_case_from_json(const std::string& body);

// The optional body of POST /api/v1/cases/{id}/cancel: empty, or {"reason"?: "..."}.
Result<std::string> cancel_reason_from_json(const std::string& body);

}  // namespace baton::conductor
