#include "worker/app.hpp"

#include <boost/asio/post.hpp>

#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"
#include "common/log/logging.hpp"

namespace baton::worker {

namespace asio = boost::asio;

WorkerApp::WorkerApp(WorkerConfig config)
    : config_(std::move(config)),
      signals_(io_, SIGINT, SIGTERM),
      heartbeat_timer_(io_),
      shutdown_timer_(io_),
      sampler_(config_.disks),
      gpu_probe_(config_.gpu),
      reporter_(config_, short_hostname()),
      outbox_([this](std::function<void()> drain) { asio::post(io_, std::move(drain)); },
              [this](v1::Envelope& e) {
                codec::stamp(e, reporter_.sender(), clock_.now());
                publish(e, codec::body_name(e));
              }) {}

WorkerApp::~WorkerApp() {
  if (drain_thread_.joinable()) drain_thread_.join();
  {
    std::lock_guard lock(gpu_mu_);
    stopping_ = true;
  }
  gpu_cv_.notify_all();
  if (gpu_thread_.joinable()) gpu_thread_.join();
  if (intake_) intake_->stop();
  if (tasks_) tasks_->stop();
  if (transport_) transport_->stop(std::chrono::milliseconds(0));
}

Status WorkerApp::start() {
  auto log = log::logger("baton-worker");
  // Inventory before registering, so the first registration lists the GPUs.
  GpuSnapshot gpus = gpu_probe_.query();
  log->info("worker {} on {}: {} slots, labels [{}], {} GPUs{}", config_.id, short_hostname(), config_.slots,
            fmt::join(config_.labels, ", "), gpus.info.size(), gpus.note.empty() ? "" : " (" + gpus.note + ")");
  reporter_.set_gpus(std::move(gpus));

  JobControllerOptions job_options{config_.id, config_.slots, config_.jobs.state_dir, config_.jobs.kill_grace,
                                   config_.jobs.output_tail_lines, config_.jobs.supervisor};
  jobs_ = std::make_unique<JobController>(std::move(job_options), ActionRegistry(config_.actions), clock_,
                                          [this](v1::Envelope e) { emit(std::move(e)); });
  tasks_ = std::make_unique<TaskRunner>(config_.id, config_.checks, config_.maintenance, config_.task_threads, clock_,
                                        [this](v1::Envelope e) { emit(std::move(e)); });
  // Re-adopts jobs that kept running while this worker was down.
  if (auto st = jobs_->start(); !st) return make_error(st.error().code, "jobs: " + st.error().message);
  log->info("{} actions offered; {} jobs still running from before", config_.actions.size(),
            config_.slots - jobs_->free_slots());

  amqp::RabbitTransportOptions options;
  options.broker = config_.broker;
  options.broker.connection_name = "baton-worker " + config_.id;
  options.topology = amqp::worker_topology(config_.id);
  options.consume_queue = amqp::worker_queue(config_.id);
  transport_ = std::make_unique<amqp::RabbitTransport>(
      options, [this](amqp::Delivery d) { asio::post(io_, [this, d = std::move(d)]() mutable { on_command(std::move(d)); }); });
  // Register on every (re)connect: a conductor that lost its database, or a
  // broker that lost its queues, learns about us again without a restart.
  transport_->set_connection_listener([this](bool up) {
    if (up) asio::post(io_, [this] {
        if (!stopping_ || draining_) publish(reporter_.registration(clock_.now()), "register");
      });
  });
  log->info("broker {}", amqp::redacted_url(config_.broker));
  transport_->start();
  if (!config_.intake.empty()) {
    intake_ = std::make_unique<IntakeService>(config_.intake, config_.jobs.state_dir, config_.id, *transport_, clock_);
    if (auto st = intake_->start(); !st) return st;
  }
  gpu_thread_ = std::thread([this] { gpu_loop(); });
  return {};
}

void WorkerApp::publish(const v1::Envelope& envelope, const std::string& kind, amqp::PublishCallback done) {
  auto message = codec::to_message(envelope, amqp::kEventsExchange, amqp::event_routing_key(kind, config_.id));
  transport_->publish(std::move(message), std::move(done));
}

void WorkerApp::emit(v1::Envelope event) {
  // From the strand, the job watcher and the task threads: published from the strand.
  outbox_.add(std::move(event));
}

void WorkerApp::on_command(amqp::Delivery delivery) {
  auto log = log::logger("baton-worker");
  if (delivery.oversized) {
    log->warn("rejecting an oversized command ({} bytes)", delivery.body_size);
    transport_->reject(amqp::ref(delivery), false);
    return;
  }
  auto envelope = codec::decode(delivery.body, delivery.content_type);
  std::string reason;
  if (!envelope) {
    reason = envelope.error().message;
  } else if (stopping_ && envelope->has_run_step()) {
    if (!draining_) {
      // Not ours to start any more: back in the queue for when we return.
      transport_->reject(amqp::ref(delivery), true);
      return;
    }
    // Placed before the conductor heard we are draining: hand it back.
    v1::Envelope rejected;
    auto* r = rejected.mutable_step_rejected();
    r->mutable_step()->set_case_id(envelope->run_step().case_id());
    r->mutable_step()->set_step_index(envelope->run_step().step_index());
    r->mutable_step()->set_attempt(envelope->run_step().attempt());
    r->mutable_step()->set_worker_id(config_.id);
    r->set_reason("worker " + config_.id + " is draining");
    emit(std::move(rejected));
    transport_->ack(amqp::ref(delivery));
    return;
  } else {
    switch (envelope->body_case()) {
      case v1::Envelope::kRunStep: jobs_->run_step(envelope->run_step()); break;
      case v1::Envelope::kCancelStep: jobs_->cancel_step(envelope->cancel_step()); break;
      case v1::Envelope::kRunCheck: tasks_->run_check(envelope->run_check()); break;
      case v1::Envelope::kRunMaintenance: tasks_->run_maintenance(envelope->run_maintenance()); break;
      case v1::Envelope::kIntakeReply:
        if (intake_) intake_->on_reply(envelope->intake_reply());
        else reason = "worker " + config_.id + " watches no directories";
        break;
      case v1::Envelope::kReconcile: {
        v1::Envelope reply;
        *reply.mutable_running_steps() = jobs_->running();
        reply.set_correlation_id(envelope->message_id());
        emit(std::move(reply));
        break;
      }
      default: reason = "worker " + config_.id + " does not run " + codec::body_name(*envelope);
    }
    // run_step has recorded the job (or answered with a rejection) by now.
    if (reason.empty()) {
      transport_->ack(amqp::ref(delivery));
      return;
    }
  }
  log->warn("refusing command {}: {}", delivery.message_id, reason);
  transport_->dead_letter(delivery, reason);
}

void WorkerApp::send_heartbeat() {
  v1::Envelope beat =
      reporter_.heartbeat(sampler_.sample(), draining_ ? 0 : jobs_->free_slots(), clock_.now(), draining_);
  // The job heartbeat: the conductor flags an EXECUTING step its worker stops listing.
  *beat.mutable_worker_heartbeat()->mutable_running() = std::move(*jobs_->running().mutable_steps());
  publish(beat, "heartbeat");
}

void WorkerApp::schedule_heartbeat() {
  heartbeat_timer_.expires_after(config_.heartbeat_interval);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || (stopping_ && !draining_)) return;
    send_heartbeat();
    schedule_heartbeat();
  });
}

void WorkerApp::gpu_loop() {
  std::unique_lock lock(gpu_mu_);
  while (!gpu_cv_.wait_for(lock, config_.heartbeat_interval, [this] { return stopping_; })) {
    lock.unlock();
    reporter_.set_gpus(gpu_probe_.query());
    lock.lock();
  }
}

void WorkerApp::shutdown(const char* why) {
  {
    std::lock_guard lock(gpu_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  gpu_cv_.notify_all();
  auto log = log::logger("baton-worker");
  const size_t running = jobs_->running_count();
  if (config_.jobs.drain_on_stop && running > 0) {
    // RunSteps go back to the queue (see on_command), heartbeats say 0 free
    // slots, and cancels still reach the jobs until they are done.
    draining_ = true;
    log->info("{}: draining {} running jobs before stopping (up to {} s)", why, running,
              std::chrono::duration_cast<std::chrono::seconds>(config_.jobs.drain_timeout).count());
    send_heartbeat();  // tell the conductor now, not one interval later
    drain_thread_ = std::thread([this, reason = std::string(why)] {
      const bool idle = jobs_->wait_idle(config_.jobs.drain_timeout);
      asio::post(io_, [this, reason, idle] {
        if (!idle) log::logger("baton-worker")->warn("drain timed out; jobs keep running and are re-adopted");
        draining_ = false;
        say_goodbye_and_stop(reason);
      });
    });
    return;
  }
  log->info("{}: stopping{}", why, running ? " (" + std::to_string(running) + " jobs keep running)" : "");
  say_goodbye_and_stop(why);
}

void WorkerApp::say_goodbye_and_stop(const std::string& why) {
  if (goodbye_sent_) return;  // the drain thread's post after a forced stop
  goodbye_sent_ = true;
  auto log = log::logger("baton-worker");
  transport_->pause_consuming();
  heartbeat_timer_.cancel();
  if (intake_) intake_->stop();
  const auto finish = [this, log] {
    shutdown_timer_.cancel();
    transport_->stop(std::chrono::milliseconds(2000));
    signals_.cancel();
    log->info("worker stopped ({} short jobs' starts were reported with their end)", outbox_.folded());
  };
  // Say goodbye so the conductor shows us offline at once; don't wait forever
  // for a broker that is gone.
  publish(reporter_.stopping(why, jobs_->running_count() > 0, clock_.now()), "stopping", [this, finish](amqp::PublishOutcome) {
    asio::post(io_, finish);
  });
  shutdown_timer_.expires_after(std::chrono::seconds(3));
  shutdown_timer_.async_wait([finish](const boost::system::error_code& ec) {
    if (!ec) finish();
  });
}

void WorkerApp::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    const char* name = signo == SIGINT ? "SIGINT" : "SIGTERM";
    if (draining_) {
      // A second signal while draining: stop now; the jobs keep running
      // under their supervisors and are re-adopted.
      log::logger("baton-worker")->warn("{} while draining: stopping now", name);
      draining_ = false;
      jobs_->stop_waiting();
      say_goodbye_and_stop(name);
      return;
    }
    shutdown(name);
    if (draining_) wait_for_signal();
  });
}

void WorkerApp::run() {
  wait_for_signal();
  // The first heartbeat goes out right away rather than one interval late.
  asio::post(io_, [this] { send_heartbeat(); });
  schedule_heartbeat();
  io_.run();
}

}  // namespace baton::worker
