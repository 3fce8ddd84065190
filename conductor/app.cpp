#include "conductor/app.hpp"

#include <boost/asio/post.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/amqp/topology_names.hpp"
#include "common/app/exit_codes.hpp"
#include "common/log/logging.hpp"
#include "conductor/http/api.hpp"

namespace baton::conductor {

namespace asio = boost::asio;

ConductorApp::ConductorApp(ConductorConfig config)
    : config_(std::move(config)), signals_(io_, SIGINT, SIGTERM),
      sweep_timer_(io_),
      hearing_(std::max<std::chrono::milliseconds>(config_.workers.sweep_interval, std::chrono::milliseconds(250)),
               config_.broker.reconnect_max) {}

ConductorApp::~ConductorApp() {
  if (http_) http_->stop();
  if (transport_) transport_->stop(std::chrono::milliseconds(0));
}

Status ConductorApp::start() {
  auto log = log::logger("baton-conductor");
  auto store = ConductorStore::open(config_.database);
  if (!store) return make_error(Errc::database, "database " + config_.database + ": " + store.error().message);
  store_ = std::move(*store);
  log->info("database {} at schema version {}", config_.database, store_->schema_version());

  workers_ = std::make_unique<WorkerRegistry>(*store_, clock_, config_.workers);
  if (auto st = workers_->load(); !st) return st;
  const auto counts = workers_->counts();
  log->info("{} workers known ({} recorded online)", counts.online + counts.offline, counts.online);

  amqp::RabbitTransportOptions options;
  options.broker = config_.broker;
  options.broker.connection_name = "baton-conductor";
  options.topology = amqp::conductor_topology();
  options.consume_queue = amqp::kConductorQueue;
  options.also_consume = {amqp::kIntakeQueue};
  transport_ = std::make_unique<amqp::RabbitTransport>(
      options, [this](amqp::Delivery d) { on_delivery(std::move(d)); });
  // How other threads hand work to the core strand.
  const auto post = [this](std::function<void()> f) { asio::post(io_, std::move(f)); };
  pipeline_ = std::make_unique<EventPipeline>(*store_, *transport_, *workers_);
  pipeline_->set_post(post);

  // Its posted work (a RunStep the broker returned) decides and writes, so
  // it commits and sends what it decided at once, not with the next batch;
  // a database error in it stops the conductor as one in an event does.
  cases_ = std::make_unique<CaseScheduler>(
      *store_, *transport_, *workers_, clock_, config_.workflows, config_.cases,
      [this](CaseScheduler::Reaction react) {
        asio::post(io_, [this, react = std::move(react)] {
          // Reported before its batch commits, so a database error stops the
          // conductor with nothing of the reaction written.
          auto reacted = in_batch([&] {
            if (auto st = react(); !st) failed("reacting to a returned command", st.error());
          });
          if (!reacted) failed("the batch of a reaction to a returned command", reacted.error());
        });
      });
  pipeline_->set_case_scheduler(cases_.get());
  std::map<std::string, TaskDefinition> tasks = config_.checks;
  tasks.insert(config_.maintenance.begin(), config_.maintenance.end());
  tasks_ = std::make_unique<TaskScheduler>(*store_, *transport_, *workers_, clock_, std::move(tasks));
  pipeline_->set_task_scheduler(tasks_.get());
  alerting_ = std::make_unique<Alerting>(
      *store_, clock_, config_.alerts, *tasks_, *workers_, [this](std::function<void()> f) { asio::post(io_, std::move(f)); },
      [this](std::function<void()> change) { return in_batch(std::move(change)); });
  pipeline_->add_commit_listener([this](bool committed) { alerting_->after_commit(committed); });
  pipeline_->set_database_failure_handler([](const Error& e) {
    // Queued notification retries are in memory only and go with it; their
    // alerts are in the database, and the batch's own come back with its events.
    log::logger("core")->critical(
        "the database refused a write ({}); the state in memory is ahead of it, so the conductor exits with "
        "status {} and a restart reloads it (the events not yet committed are redelivered)",
        e.message, kExitDatabaseFailed);
    log::flush_logging();
    std::_Exit(kExitDatabaseFailed);  // no destructor may write anything more to the database
  });
  alerting_->set_database_failure_handler([this](const Error& e) { pipeline_->database_failed(e); });
  tasks_->set_maintenance_listener([this](const v1::MaintenanceResult& r) { alerting_->on_maintenance_result(r); });
  tasks_->set_hold([this](const std::string&, const std::string& target, TimePoint now) {
    return alerting_->holds(target, now);
  });
  workers_->set_status_listener([this](const WorkerRecord& w) {
    if (auto st = cases_->on_worker_status(w); !st) failed("reacting to worker " + w.id, st.error());
    if (auto st = tasks_->refresh_worker(w); !st) failed("retargeting schedules for " + w.id, st.error());
    alerting_->on_worker(w);
    events_->publish("worker", nlohmann::json{{"id", w.id}, {"online", w.online}}.dump());
  });
  observe_components();
  if (auto st = alerting_->start(); !st) return make_error(st.error().code, "alerts: " + st.error().message);
  if (auto st = tasks_->load(); !st) return make_error(st.error().code, "schedules: " + st.error().message);
  keeper_ = std::make_unique<DatabaseKeeper>(*store_, config_.database, clock_, config_.upkeep,
                                             [this](std::function<void()> change) { return in_batch(std::move(change)); });
  if (auto st = keeper_->load(); !st) return make_error(st.error().code, "database upkeep: " + st.error().message);
  // Resends in-flight steps: published once the transport connects.
  if (auto st = cases_->load(); !st) return st;
  if (auto st = pipeline_->flush(); !st) return st;
  strand_call_ = std::make_unique<StrandCall>(post, *pipeline_);
  case_service_ = std::make_unique<StrandCaseService>(*strand_call_, *cases_);
  ops_service_ = std::make_unique<StrandOpsService>(*strand_call_, *tasks_, *alerting_, clock_);
  log->info("{} workflows configured; {} unfinished cases", config_.workflows.size(), cases_->active_count());

  http::Router router;
  ApiDeps deps;
  deps.database_path = config_.database;
  deps.broker_connected = [t = transport_.get()] { return t->connected(); };
  deps.clock = &clock_;
  deps.version = BATON_VERSION;
  deps.started_at = clock_.now();
  deps.workers = config_.workers;
  deps.management_url = config_.management_url;
  deps.cases = case_service_.get();
  deps.ops = ops_service_.get();
  deps.metrics = &metrics_;
  deps.events = events_;
  deps.api_token = config_.http.token;
  ConductorApi(deps).install(router);
  http::ServerOptions server_options;
  server_options.metrics = &metrics_;
  http_ = std::make_unique<http::Server>(config_.http.listen, static_cast<uint16_t>(config_.http.port),
                                         std::move(router), server_options);
  if (auto st = http_->start(); !st)
    return make_error(st.error().code, "HTTP server on " + config_.http.listen + ":" +
                                           std::to_string(config_.http.port) + ": " + st.error().message);
  log->info("HTTP API on http://{}:{}", config_.http.listen, http_->port());
  if (!config_.http.port_file.empty()) {
    std::ofstream(config_.http.port_file) << http_->port() << "\n";
  }

  log->info("broker {}", amqp::redacted_url(config_.broker));
  transport_->start();
  return {};
}

Status ConductorApp::in_batch(std::function<void()> change) {
  if (auto st = pipeline_->open_batch(); !st) return st;
  change();
  return pipeline_->flush();
}

void ConductorApp::observe_components() {
  ConductorMetrics& m = conductor_metrics_;
  m.add_transport(metrics_, transport_->stats());
  auto& confirm = m.publish_confirm.with();
  transport_->set_confirm_latency_observer(
      [&confirm](std::chrono::microseconds us) { confirm.observe(std::chrono::duration<double>(us).count()); });
  auto& processing = m.event_processing.with();
  pipeline_->set_observer([this, &m, &processing](const std::string& type, bool applied, const char* refusal,
                                                  double seconds) {
    if (!applied) {
      m.events_rejected.with({refusal}).inc();
      return;
    }
    auto [it, fresh] = consumed_by_kind_.try_emplace(type, nullptr);
    if (fresh) it->second = &m.events_consumed.with({type.empty() ? "unknown" : type});
    it->second->inc();
    processing.observe(seconds);
  });
  cases_->set_change_listener([this](const CaseRecord& c) {
    events_->publish("case", nlohmann::json{{"id", c.id}, {"status", to_string(c.status)}, {"step", c.current_step},
                                            {"progress", c.progress}}
                                 .dump());
  });
  cases_->set_start_listener([&m](bool with_end) {
    m.steps_started.with({with_end ? "step_finished" : "step_started"}).inc();
  });
  cases_->set_step_listener([&m](const std::string& outcome, std::chrono::milliseconds duration) {
    m.step_duration.with({outcome}).observe(duration);
  });
  cases_->set_problem_listener([this, &m](const CaseRecord& c, CaseScheduler::Problem p, const std::string& message) {
    if (p != CaseScheduler::Problem::stuck) {
      m.cases_finished.with({to_string(c.status)}).inc();
      m.case_duration.with().observe(clock_.now() - c.created_at);
    }
    alerting_->on_case(c, p, message);
  });
  tasks_->set_check_listener([this, &m](const CheckResultRecord& r) {
    m.check_results.with({to_string(r.state)}).inc();
    events_->publish("check", nlohmann::json{{"worker_id", r.worker_id}, {"check", r.check},
                                             {"state", to_string(r.state)}}
                                  .dump());
    alerting_->on_check(r);
  });
  alerting_->set_observers(&m, [this](const std::string& event, const std::string& json) {
    events_->publish(event, json);
  });
}

void ConductorApp::on_delivery(amqp::Delivery delivery) {
  // Called on the consumer's I/O thread; the pipeline hands bursts over to
  // the core strand with one post each.
  pipeline_->enqueue(std::move(delivery));
}

void ConductorApp::failed(const std::string& what, const Error& error) {
  log::logger("core")->error("{} failed: {}", what, error.message);
  pipeline_->database_failed(error);
}

void ConductorApp::schedule_sweep() {
  sweep_timer_.expires_after(config_.workers.sweep_interval);
  sweep_timer_.async_wait([this, due = sweep_timer_.expiry()](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    const Hearing::Verdict hearing = hearing_.round({.linked = transport_->connected(),
                                                     .reconnects = transport_->stats().reconnects.load(),
                                                     .late = std::chrono::steady_clock::now() - due,
                                                     .behind = pipeline_->behind(),
                                                     .now = clock_.now()});
    if (hearing.excuse_until) {
      workers_->excuse_silence_until(*hearing.excuse_until);
      cases_->excuse_silence_until(*hearing.excuse_until);
    }
    if (hearing.stalled && !hearing.judge)
      log::logger("core")->warn("the core thread ran {} ms late; worker silence is judged once its events are in",
                                hearing.stalled->count());
    if (hearing.judge) {
      auto gone = pipeline_->within_batch([this] { return workers_->sweep(); });
      if (!gone) failed("offline sweep", gone.error());
      if (auto st = cases_->tick(); !st) failed("case tick", st.error());
    }
    auto ticked = pipeline_->within_batch([this]() -> Result<bool> {
      alerting_->tick();
      if (auto st = tasks_->tick(); !st) return st.error();
      return true;
    });
    if (!ticked) failed("schedule tick", ticked.error());
    (void)pipeline_->flush();
    keeper_->tick();
    (void)pipeline_->flush();
    schedule_sweep();
  });
}

void ConductorApp::shutdown(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  auto log = log::logger("baton-conductor");
  log->info("{}: stopping (no new events or cases taken; finishing writes)", why);
  strand_call_->close();
  transport_->pause_consuming();
  sweep_timer_.cancel();
  // Posted behind the deliveries already queued, so they are applied and acked.
  asio::post(io_, [this, log] {
    (void)pipeline_->flush();
    const auto counts = workers_->counts();
    log->info("{} events applied in {} batches; {} workers online and {} cases unfinished at shutdown",
              pipeline_->stats().applied, pipeline_->stats().batches, counts.online, cases_->active_count());
    alerting_->stop();
    keeper_->stop();
    transport_->stop(std::chrono::milliseconds(3000));
    http_->stop();
    signals_.cancel();
    log->info("conductor stopped");
  });
}

void ConductorApp::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (!ec) shutdown(signo == SIGINT ? "SIGINT" : "SIGTERM");
  });
  schedule_sweep();
  io_.run();
}

}  // namespace baton::conductor
