#include "conductor/core/strand_case_service.hpp"

namespace baton::conductor {

Result<SubmitOutcome> StrandCaseService::submit(const v1::SubmitCase& request) {
  return strand_.operator()<SubmitOutcome>([this, request] { return scheduler_.submit(request); });
}

Status StrandCaseService::cancel(const std::string& case_id, const std::string& reason) {
  return strand_([this, case_id, reason] { return scheduler_.cancel(case_id, reason); });
}

Status StrandCaseService::retry(const std::string& case_id) {
  return strand_([this, case_id] { return scheduler_.retry(case_id); });
}

}  // namespace baton::conductor
