#pragma once

#include <boost/asio/io_context.hpp>
#include <atomic>

#include "conductor/core/case_scheduler.hpp"
#include "conductor/core/case_service.hpp"
#include "conductor/core/event_pipeline.hpp"

namespace baton::conductor {

// CaseService for other threads (the HTTP server): runs each request on the
// core strand, commits it, and only then answers, so a 201 means durable.
class StrandCaseService final : public CaseService {
 public:
  StrandCaseService(boost::asio::io_context& io, CaseScheduler& scheduler, EventPipeline& pipeline)
      : io_(io), scheduler_(scheduler), pipeline_(pipeline) {}

  Result<SubmitOutcome> submit(const v1::SubmitCase& request) override;
  Status cancel(const std::string& case_id, const std::string& reason) override;
  Status retry(const std::string& case_id) override;

  // From here on every request is refused as unavailable, also one already
  // waiting for the strand: a shutting-down conductor takes no new work.
  void close() { closed_ = true; }

 private:
  template <class T>
  Result<T> on_strand(std::function<Result<T>()> work);

  boost::asio::io_context& io_;
  CaseScheduler& scheduler_;
  EventPipeline& pipeline_;
  std::atomic<bool> closed_{false};
};

}  // namespace baton::conductor
