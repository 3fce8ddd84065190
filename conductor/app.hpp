#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "common/amqp/rabbit_transport.hpp"
#include "common/core/clock.hpp"
#include "common/http/event_stream.hpp"
#include "common/http/server.hpp"
#include "common/metrics/registry.hpp"
#include "conductor/config.hpp"
#include "conductor/core/alerting.hpp"
#include "conductor/core/case_scheduler.hpp"
#include "conductor/core/conductor_metrics.hpp"
#include "conductor/core/event_pipeline.hpp"
#include "conductor/core/hearing.hpp"
#include "conductor/core/strand_case_service.hpp"
#include "conductor/core/strand_ops_service.hpp"
#include "conductor/core/worker_registry.hpp"
#include "conductor/store/conductor_store.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace baton::conductor {

// The conductor process: owns the core strand (one io_context on the main
// thread), the transport's I/O threads and the HTTP server's thread.
class ConductorApp {
 public:
  explicit ConductorApp(ConductorConfig config);
  ~ConductorApp();

  // Opens the database, binds the HTTP port and connects to the broker.
  // An error here is a start-up failure the operator must fix.
  Status start();
  // Runs until SIGINT/SIGTERM, then shuts down gracefully.
  void run();

 private:
  void on_delivery(amqp::Delivery delivery);
  // Metrics and the dashboard's live events, fed by the components' listeners.
  void observe_components();
  // Strand-side writes outside an event (timers, notification outcomes):
  // open the batch, change, commit.
  Status in_batch(std::function<void()> change);
  // Strand work outside an event that went wrong: logged, and a database
  // error stops the conductor (EventPipeline::database_failed).
  void failed(const std::string& what, const Error& error);
  void schedule_sweep();
  void shutdown(const char* why);

  ConductorConfig config_;
  SystemClock clock_;
  metrics::Registry metrics_;
  ConductorMetrics conductor_metrics_{metrics_};
  std::shared_ptr<http::EventHub> events_ = std::make_shared<http::EventHub>();
  std::map<std::string, metrics::Counter*> consumed_by_kind_;  // strand only
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer sweep_timer_;
  Hearing hearing_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<WorkerRegistry> workers_;
  std::unique_ptr<amqp::RabbitTransport> transport_;
  std::unique_ptr<EventPipeline> pipeline_;
  std::unique_ptr<CaseScheduler> cases_;
  std::unique_ptr<TaskScheduler> tasks_;
  std::unique_ptr<Alerting> alerting_;
  std::unique_ptr<DatabaseKeeper> keeper_;
  std::unique_ptr<StrandCall> strand_call_;
  std::unique_ptr<StrandCaseService> case_service_;
  std::unique_ptr<StrandOpsService> ops_service_;
  std::unique_ptr<http::Server> http_;
  bool stopping_ = false;
};

}  // namespace baton::conductor
