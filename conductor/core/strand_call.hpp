#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>

#include "common/core/result.hpp"
#include "conductor/core/event_pipeline.hpp"

namespace baton::conductor {

// How another thread (the HTTP server's) asks the core strand something:
// the work runs on the strand, its batch is committed, and only then does the
// caller get the answer, so a success means durable. After close() every call
// is refused as unavailable, also one already waiting for the strand.
class StrandCall {
 public:
  // Runs a callback on the core strand.
  using Post = std::function<void(std::function<void()>)>;

  StrandCall(Post post, EventPipeline& pipeline) : post_(std::move(post)), pipeline_(pipeline) {}

  void close() { closed_ = true; }

  template <class T>
  Result<T> operator()(std::function<Result<T>()> work) {
    // The strand answers in microseconds; the timeout only guards against a wedged one.
    constexpr std::chrono::seconds kAnswerTimeout{15};
    constexpr std::chrono::milliseconds kCloseCheck{20};
    const Error closed = make_error(Errc::unavailable, "the conductor is shutting down; try again when it is back");
    if (closed_) return closed;
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    post_([this, promise, closed, work = std::move(work)] {
      if (closed_) {
        promise->set_value(closed);
        return;
      }
      // One transaction for everything the request writes.
      if (auto opened = pipeline_.open_batch(); !opened) {
        promise->set_value(opened.error());
        return;
      }
      Result<T> result = work();
      if (!result.ok()) pipeline_.database_failed(result.error());
      Status committed = pipeline_.flush();
      if (result.ok() && !committed.ok()) {
        promise->set_value(committed.error());
        return;
      }
      promise->set_value(std::move(result));
    });
    // A call that got past the first check just as the conductor began to
    // stop waits behind the shutdown, which joins this very thread (the HTTP
    // server's): it gives up once close() has run. close() runs on the
    // strand, so by then any call the strand took before it has answered.
    const auto deadline = std::chrono::steady_clock::now() + kAnswerTimeout;
    while (future.wait_for(kCloseCheck) != std::future_status::ready) {
      if (closed_) return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready ? future.get() : closed;
      if (std::chrono::steady_clock::now() >= deadline)
        return make_error(Errc::unavailable, "the conductor did not answer in time");
    }
    return future.get();
  }

  // For work that answers with a Status only.
  Status operator()(std::function<Status()> work) {
    auto r = operator()<bool>([work = std::move(work)]() -> Result<bool> {
      if (auto st = work(); !st) return st.error();
      return true;
    });
    if (!r) return r.error();
    return {};
  }

 private:
  Post post_;
  EventPipeline& pipeline_;
  std::atomic<bool> closed_{false};
};

}  // namespace baton::conductor
