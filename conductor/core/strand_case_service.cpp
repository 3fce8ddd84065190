#include "conductor/core/strand_case_service.hpp"

#include <boost/asio/post.hpp>
#include <future>

namespace baton::conductor {

namespace {
// The strand answers in microseconds; this only guards against a wedged one.
constexpr std::chrono::seconds kAnswerTimeout{15};
}  // namespace

template <class T>
Result<T> StrandCaseService::on_strand(std::function<Result<T>()> work) {
  const Error closed = make_error(Errc::unavailable, "the conductor is shutting down; try again when it is back");
  if (closed_) return closed;
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  boost::asio::post(io_, [this, promise, closed, work = std::move(work)] {
    if (closed_) {
      promise->set_value(closed);
      return;
    }
    Result<T> result = work();
    Status committed = pipeline_.flush();
    if (result.ok() && !committed.ok()) {
      promise->set_value(committed.error());
      return;
    }
    promise->set_value(std::move(result));
  });
  if (future.wait_for(kAnswerTimeout) != std::future_status::ready)
    return make_error(Errc::unavailable, "the conductor did not answer in time");
  return future.get();
}

Result<SubmitOutcome> StrandCaseService::submit(const v1::SubmitCase& request) {
  return on_strand<SubmitOutcome>([this, request] { return scheduler_.submit(request); });
}

Status StrandCaseService::cancel(const std::string& case_id, const std::string& reason) {
  auto r = on_strand<bool>([this, case_id, reason]() -> Result<bool> {
    if (auto st = scheduler_.cancel(case_id, reason); !st) return st.error();
    return true;
  });
  if (!r) return r.error();
  return {};
}

Status StrandCaseService::retry(const std::string& case_id) {
  auto r = on_strand<bool>([this, case_id]() -> Result<bool> {
    if (auto st = scheduler_.retry(case_id); !st) return st.error();
    return true;
  });
  if (!r) return r.error();
  return {};
}

}  // namespace baton::conductor
