#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/core/backoff.hpp"
#include "common/core/clock.hpp"
#include "conductor/alerts/alerts_config.hpp"
#include "conductor/alerts/notification_channels.hpp"

namespace baton::conductor::alerts {

// At most `per_hour` notifications per alert per channel in any hour.
// Resolves always pass: whoever heard of a problem must hear it is over.
class NotificationRateLimiter {
 public:
  explicit NotificationRateLimiter(unsigned per_hour) : per_hour_(per_hour) {}
  bool allow(int64_t alert_id, const std::string& channel, NotificationKind kind, TimePoint now);

 private:
  unsigned per_hour_;
  std::map<std::pair<int64_t, std::string>, std::deque<TimePoint>> sent_;
};

// Delivers notifications on a thread of its own, so a slow webhook never
// blocks the core. Every attempt's outcome goes to the callback, which runs
// on the sender thread: the conductor posts it back onto its strand to
// record it.
class NotificationSender {
 public:
  using OutcomeCallback = std::function<void(const NotificationAttempt&)>;
  enum class StopMode {
    abandon,  // the attempt in progress finishes; everything else is reported abandoned
    finish,   // every queued notification gets one last attempt, without back-off
  };

  NotificationSender(std::map<std::string, std::unique_ptr<NotificationChannel>> channels, RetryConfig retry,
                     unsigned rate_limit_per_hour, const Clock& clock, OutcomeCallback on_outcome);
  ~NotificationSender();
  NotificationSender(const NotificationSender&) = delete;
  NotificationSender& operator=(const NotificationSender&) = delete;

  void start();
  // After stop(), messages are reported abandoned at once.
  void enqueue(NotificationMessage message);
  // Idempotent; joins the thread.
  void stop(StopMode mode = StopMode::abandon);

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Pending {
    NotificationMessage message;
    unsigned attempt = 1;
    SteadyTime due;
    std::shared_ptr<Backoff> backoff;
  };

  void run();
  // Delivers once and reports; true when the message is done with.
  bool attempt(Pending& pending, bool last_chance);
  void settle(std::vector<Pending>& left, StopMode mode);
  void report(const Pending& pending, NotificationAttempt::Outcome outcome, const std::string& error);

  std::map<std::string, std::unique_ptr<NotificationChannel>> channels_;
  RetryConfig retry_;
  NotificationRateLimiter limiter_;  // sender thread only
  const Clock& clock_;
  OutcomeCallback on_outcome_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  StopMode stop_mode_ = StopMode::abandon;
  uint64_t seed_ = 1;
  std::thread thread_;
};

}  // namespace baton::conductor::alerts
