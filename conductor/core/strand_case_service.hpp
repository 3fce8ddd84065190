#pragma once

#include "conductor/core/case_scheduler.hpp"
#include "conductor/core/case_service.hpp"
#include "conductor/core/strand_call.hpp"

namespace baton::conductor {

// CaseService for other threads (the HTTP server): runs each request on the
// core strand, commits it, and only then answers, so a 201 means durable.
class StrandCaseService final : public CaseService {
 public:
  StrandCaseService(StrandCall& strand, CaseScheduler& scheduler) : strand_(strand), scheduler_(scheduler) {}

  Result<SubmitOutcome> submit(const v1::SubmitCase& request) override;
  Status cancel(const std::string& case_id, const std::string& reason) override;
  Status retry(const std::string& case_id) override;

 private:
  StrandCall& strand_;
  CaseScheduler& scheduler_;
};

}  // namespace baton::conductor
