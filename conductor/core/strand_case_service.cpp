#include "conductor/core/strand_case_service.hpp"

namespace baton::conductor {

Result<SubmitOutcome> StrandCaseService::submit(const v1::SubmitCase& request) {
  return strand_.operator()<SubmitOutcome>([this, request] { return scheduler_.submit(request); });
}

Status StrandCaseService::cancel(const std::string& case_id, const std::string& reason) {
  auto r = strand_.operator()<bool>([this, case_id, reason]() -> Result<bool> {
    if (auto st = scheduler_.cancel(case_id, reason); !st) return st.error();
    return true;
  });
  if (!r) return r.error();
  return {};
}

Status StrandCaseService::retry(const std::string& case_id) {
  auto r = strand_.operator()<bool>([this, case_id]() -> Result<bool> {
    if (auto st = scheduler_.retry(case_id); !st) return st.error();
    return true;
  });
  if (!r) return r.error();
  return {};
}

}  // namespace baton::conductor
