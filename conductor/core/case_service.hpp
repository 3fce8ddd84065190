#pragma once

#include <string>

#include "baton/intake.pb.h"
#include "common/core/result.hpp"
#include "conductor/store/case_records.hpp"

namespace baton::conductor {

struct SubmitOutcome {
  CaseRecord record;
  bool created = false;  // false: the same submission was seen before (idempotent)
};

// What the HTTP API and the intake queue may ask of the case scheduler.
// Thread-safe: implementations hop onto the core strand and wait for the
// answer, so callers on the HTTP thread get a definite result.
class CaseService {
 public:
  virtual ~CaseService() = default;
  // Errc::invalid_argument: unknown workflow or missing/unknown parameter;
  // Errc::conflict: the id exists with another workflow or params.
  virtual Result<SubmitOutcome> submit(const v1::SubmitCase& request) = 0;
  // Errc::not_found; Errc::conflict when the case already ended.
  virtual Status cancel(const std::string& case_id, const std::string& reason) = 0;
  // Puts a FAILED or CANCELLED case back in the queue at the step where it
  // stopped, with a fresh retry budget. Errc::conflict for any other status.
  virtual Status retry(const std::string& case_id) = 0;
};

}  // namespace baton::conductor
