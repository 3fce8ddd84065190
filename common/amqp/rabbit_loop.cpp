#include "common/amqp/rabbit_loop.hpp"

#include <poll.h>

#include <random>

#include "common/core/backoff.hpp"
#include "common/log/logging.hpp"

namespace baton::amqp {

namespace {
// Upper bound on how long the loop sleeps in poll(): rabbitmq-c sends due
// heartbeats only when we call into it, so we must come back well within the
// heartbeat interval.
constexpr std::chrono::milliseconds kPollSlice{100};
// Frames handled per pass before requests get a turn again.
constexpr int kFramesPerPass = 512;
}  // namespace

RabbitLoop::RabbitLoop(std::string role, BrokerSettings settings, Topology topology, TransportStats& stats)
    : settings_(std::move(settings)),
      stats_(stats),
      log_(log::logger("amqp")),
      role_(std::move(role)),
      topology_(std::move(topology)) {}

RabbitLoop::~RabbitLoop() { join(); }

void RabbitLoop::start() { thread_ = std::thread([this] { run(); }); }

void RabbitLoop::request_stop(std::chrono::steady_clock::time_point deadline) {
  stop_deadline_.store(deadline.time_since_epoch().count());
  {
    std::lock_guard lock(stop_mu_);
    stop_requested_.store(true);
  }
  stop_cv_.notify_all();
}

void RabbitLoop::join() {
  if (thread_.joinable()) thread_.join();
}

bool RabbitLoop::try_connect() {
  if (auto st = conn_.open(settings_, topology_, role_); !st) {
    // The first failure and every tenth after it at warn: enough to see an
    // outage without flooding the log while the broker is down.
    if (failures_logged_++ % 10 == 0)
      log_->warn("{} ({}) connection to {} failed: {}", settings_.connection_name, role_, redacted_url(settings_), st.error().message);
    return false;
  }
  ++generation_;
  if (auto st = on_connected(); !st) {
    log_->warn("{} ({}) connection set-up failed: {}", settings_.connection_name, role_, st.error().message);
    conn_.abandon();
    return false;
  }
  if (ever_connected_) stats_.reconnects.fetch_add(1);
  log_->info("{} ({}) connection {} to {}", settings_.connection_name, role_, ever_connected_ ? "re-established" : "established",
             redacted_url(settings_));
  ever_connected_ = true;
  failures_logged_ = 0;
  connected_.store(true);
  if (listener_) listener_(true);
  return true;
}

void RabbitLoop::drop(const Error& why) {
  log_->warn("{} ({}) connection lost: {}", settings_.connection_name, role_, why.message);
  conn_.abandon();
  connected_.store(false);
  on_disconnected();
  if (listener_) listener_(false);
}

void RabbitLoop::wait_backoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, delay, [this] { return stop_requested_.load(); });
}

Status RabbitLoop::pump_frames() {
  for (int i = 0; i < kFramesPerPass; ++i) {
    // A zero timeout still sends a due heartbeat and notices a missed one.
    auto frame = conn_.next_frame(std::chrono::milliseconds(0));
    if (!frame) return frame.error();
    if (!*frame) break;
    if (auto st = handle_frame(**frame); !st) return st;
  }
  amqp_maybe_release_buffers(conn_.state());
  return {};
}

void RabbitLoop::run() {
  std::random_device seed;
  Backoff backoff(settings_.reconnect_initial, settings_.reconnect_max, seed());
  const auto deadline_passed = [this] {
    return std::chrono::steady_clock::now().time_since_epoch().count() >= stop_deadline_.load();
  };

  while (true) {
    if (stopping() && (!conn_.is_open() || ready_to_stop() || deadline_passed())) break;
    if (!conn_.is_open()) {
      if (!try_connect()) {
        wait_backoff(backoff.next());
        continue;
      }
      backoff.reset();
    }
    if (auto st = drain_requests(); !st) {
      drop(st.error());
      continue;
    }
    if (!conn_.has_buffered_input()) {
      pollfd fds[2] = {{conn_.fd(), POLLIN, 0}, {request_fd(), POLLIN, 0}};
      ::poll(fds, 2, static_cast<int>(kPollSlice.count()));
    }
    if (auto st = pump_frames(); !st) drop(st.error());
  }

  if (conn_.is_open()) {
    conn_.close();
    connected_.store(false);
    if (listener_) listener_(false);
  }
  on_finished();
}

}  // namespace baton::amqp
