#include "conductor/alerts/notification_sender.hpp"

#include <algorithm>

namespace baton::conductor::alerts {

using namespace std::chrono_literals;

bool NotificationRateLimiter::allow(int64_t alert_id, const std::string& channel, NotificationKind kind,
                                    TimePoint now) {
  if (kind == NotificationKind::resolved) return true;
  auto& sent = sent_[{alert_id, channel}];
  while (!sent.empty() && sent.front() + 1h <= now) sent.pop_front();
  if (sent.size() >= per_hour_) return false;
  sent.push_back(now);
  return true;
}

NotificationSender::NotificationSender(std::map<std::string, std::unique_ptr<NotificationChannel>> channels,
                                       RetryConfig retry, unsigned rate_limit_per_hour, const Clock& clock,
                                       OutcomeCallback on_outcome)
    : channels_(std::move(channels)),
      retry_(retry),
      limiter_(rate_limit_per_hour),
      clock_(clock),
      on_outcome_(std::move(on_outcome)) {}

NotificationSender::~NotificationSender() { stop(); }

void NotificationSender::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void NotificationSender::enqueue(NotificationMessage message) {
  Pending pending{std::move(message), 1, std::chrono::steady_clock::now(), nullptr};
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      pending.backoff = std::make_shared<Backoff>(retry_.initial, retry_.max, seed_++);
      pending_.push_back(std::move(pending));
      cv_.notify_one();
      return;
    }
  }
  report(pending, NotificationAttempt::Outcome::abandoned, "sender stopped");
}

void NotificationSender::stop(StopMode mode) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_mode_ = mode;
    }
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  // Never started: the thread did not get to these, so settle them here.
  std::vector<Pending> left;
  StopMode stop_mode;
  {
    std::lock_guard lock(mu_);
    left.swap(pending_);
    stop_mode = stop_mode_;
  }
  settle(left, stop_mode);
}

void NotificationSender::settle(std::vector<Pending>& left, StopMode mode) {
  for (auto& pending : left) {
    if (mode == StopMode::finish) attempt(pending, true);
    else report(pending, NotificationAttempt::Outcome::abandoned, "sender stopped");
  }
}

void NotificationSender::run() {
  std::unique_lock lock(mu_);
  while (true) {
    if (stopping_) break;
    if (pending_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = std::min_element(pending_.begin(), pending_.end(),
                                 [](const Pending& a, const Pending& b) { return a.due < b.due; });
    if (next->due > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, next->due);
      continue;
    }
    Pending pending = std::move(*next);
    pending_.erase(next);
    lock.unlock();
    const bool done = attempt(pending, false);
    lock.lock();
    if (!done) pending_.push_back(std::move(pending));
  }
  std::vector<Pending> left;
  left.swap(pending_);
  const StopMode mode = stop_mode_;
  lock.unlock();
  settle(left, mode);
}

bool NotificationSender::attempt(Pending& pending, bool last_chance) {
  const NotificationIntent& intent = pending.message.intent;
  if (pending.attempt == 1 && !limiter_.allow(pending.message.alert.id, intent.channel, intent.kind, clock_.now())) {
    report(pending, NotificationAttempt::Outcome::rate_limited, "rate limit reached for this alert and channel");
    return true;
  }
  auto channel = channels_.find(intent.channel);
  if (channel == channels_.end()) {
    report(pending, NotificationAttempt::Outcome::failed, "no channel is called " + intent.channel);
    return true;
  }
  const Status status = channel->second->deliver(pending.message);
  if (status) {
    report(pending, NotificationAttempt::Outcome::sent, "");
    return true;
  }
  report(pending, NotificationAttempt::Outcome::failed, status.error().message);
  if (last_chance || pending.attempt >= retry_.attempts) return true;
  pending.attempt++;
  pending.due = std::chrono::steady_clock::now() + pending.backoff->next();
  return false;
}

void NotificationSender::report(const Pending& pending, NotificationAttempt::Outcome outcome,
                                const std::string& error) {
  if (!on_outcome_) return;
  const NotificationIntent& intent = pending.message.intent;
  on_outcome_(NotificationAttempt{intent.alert_id, intent.channel, intent.level, intent.kind, pending.attempt, outcome,
                                  error, clock_.now()});
}

}  // namespace baton::conductor::alerts
