#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/amqp/rabbit_transport.hpp"
#include "common/core/clock.hpp"
#include "worker/config.hpp"
#include "worker/event_outbox.hpp"
#include "worker/intake/intake_service.hpp"
#include "worker/jobs/job_controller.hpp"
#include "worker/resources/gpu_probe.hpp"
#include "worker/resources/resource_sampler.hpp"
#include "worker/status_reporter.hpp"
#include "worker/tasks/task_runner.hpp"

namespace baton::worker {

// The worker process: the core strand on the main thread, the transport's
// I/O threads, and a thread that polls nvidia-smi so a slow driver never
// delays a heartbeat.
class WorkerApp {
 public:
  explicit WorkerApp(WorkerConfig config);
  ~WorkerApp();

  Status start();
  void run();

 private:
  void publish(const v1::Envelope& envelope, const std::string& kind, amqp::PublishCallback done = {});
  void on_command(amqp::Delivery delivery);
  void emit(v1::Envelope event);
  void schedule_heartbeat();
  void send_heartbeat();
  void gpu_loop();
  void shutdown(const char* why);
  void wait_for_signal();
  void say_goodbye_and_stop(const std::string& why);

  WorkerConfig config_;
  SystemClock clock_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer shutdown_timer_;
  ResourceSampler sampler_;
  GpuProbe gpu_probe_;
  StatusReporter reporter_;
  std::unique_ptr<amqp::RabbitTransport> transport_;
  EventOutbox outbox_;
  // Destroyed before the outbox and the transport: their threads may still emit.
  std::unique_ptr<JobController> jobs_;
  std::unique_ptr<IntakeService> intake_;  // only with watched directories
  std::unique_ptr<TaskRunner> tasks_;
  std::thread gpu_thread_;
  std::mutex gpu_mu_;
  std::condition_variable gpu_cv_;
  bool stopping_ = false;
  // Stopping, but heartbeats go on until the running jobs are done.
  bool draining_ = false;
  bool goodbye_sent_ = false;
  std::thread drain_thread_;
};

}  // namespace baton::worker
