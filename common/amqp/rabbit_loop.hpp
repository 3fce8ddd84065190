#pragma once

#include <amqp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/amqp/broker_settings.hpp"
#include "common/amqp/rabbit_connection.hpp"
#include "common/amqp/transport_stats.hpp"
#include "common/core/result.hpp"

namespace spdlog {
class logger;
}

namespace baton::amqp {

// The thread that owns one RabbitConnection: connects with back-off, declares
// the topology, then alternates between draining requests from other threads
// and reading frames, waking on either the socket or its request queue.
// Subclasses say what a connection is for (publishing or consuming).
class RabbitLoop {
 public:
  RabbitLoop(std::string role, BrokerSettings settings, Topology topology, TransportStats& stats);
  virtual ~RabbitLoop();

  void start();
  // Asks the loop to finish: it keeps going until ready_to_stop() or the
  // deadline, then closes the connection politely.
  void request_stop(std::chrono::steady_clock::time_point deadline);
  void join();

  bool connected() const { return connected_.load(); }
  void set_connection_listener(std::function<void(bool)> listener) { listener_ = std::move(listener); }

 protected:
  virtual Status on_connected() = 0;
  virtual void on_disconnected() = 0;
  // Performs what other threads asked for; an error drops the connection.
  virtual Status drain_requests() = 0;
  virtual Status handle_frame(const amqp_frame_t& frame) = 0;
  virtual bool ready_to_stop() = 0;
  // Called once when the loop ends, connected or not.
  virtual void on_finished() = 0;
  virtual int request_fd() const = 0;

  bool stopping() const { return stop_requested_.load(); }
  uint64_t generation() const { return generation_.load(); }

  RabbitConnection conn_;
  BrokerSettings settings_;
  TransportStats& stats_;
  std::shared_ptr<spdlog::logger> log_;
  const std::string role_;

 private:
  void run();
  bool try_connect();
  void drop(const Error& why);
  Status pump_frames();
  // Sleeps out a reconnect back-off; only a stop request cuts it short
  // (publishes queued meanwhile must not, or the loop would spin).
  void wait_backoff(std::chrono::milliseconds delay);

  Topology topology_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<std::chrono::steady_clock::rep> stop_deadline_{0};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> generation_{0};
  std::function<void(bool)> listener_;
  bool ever_connected_ = false;
  unsigned failures_logged_ = 0;
};

}  // namespace baton::amqp
