#include "conductor/core/event_pipeline.hpp"

#include <spdlog/spdlog.h>

#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"
#include "common/log/logging.hpp"

namespace baton::conductor {

EventPipeline::EventPipeline(ConductorStore& store, amqp::Transport& transport, WorkerRegistry& workers)
    : store_(store), transport_(transport), workers_(workers), log_(log::logger("core")) {}

Status EventPipeline::apply(const amqp::Delivery& delivery) {
  if (delivery.oversized)
    return make_error(Errc::refused, "message of " + std::to_string(delivery.body_size) +
                                         " bytes is over the configured maximum");
  auto envelope = codec::decode(delivery.body, delivery.content_type);
  if (!envelope) {
    if (delivery.queue == amqp::kIntakeQueue) reply(delivery, "", false, envelope.error().message);
    return envelope.error();
  }
  if (delivery.queue == amqp::kIntakeQueue) return apply_intake(delivery, *envelope);
  const bool cases = cases_ != nullptr;
  switch (envelope->body_case()) {
    case v1::Envelope::kStepStarted:
      if (cases) return cases_->on_step_started(envelope->step_started());
      break;
    case v1::Envelope::kStepProgress:
      if (cases) return cases_->on_step_progress(envelope->step_progress());
      break;
    case v1::Envelope::kStepFinished:
      if (cases) return cases_->on_step_finished(envelope->step_finished());
      break;
    case v1::Envelope::kStepRejected:
      if (cases) return cases_->on_step_rejected(envelope->step_rejected());
      break;
    case v1::Envelope::kRunningSteps:
      if (cases) return cases_->on_running_steps(envelope->running_steps());
      break;
    case v1::Envelope::kWorkerRegister: {
      const std::string& id = envelope->worker_register().worker_id();
      if (auto st = workers_.on_register(envelope->worker_register()); !st) return st;
      // A worker restarted quickly stays online, so no status change says its
      // labels may have changed: its schedule targets follow them here.
      if (const WorkerRecord* w = workers_.find(id); tasks_ && w)
        if (auto st = tasks_->refresh_worker(*w); !st)
          log_->error("retargeting schedules for {}: {}", id, st.error().message);  // applied all the same
      if (cases_) return cases_->on_worker_registered(id);
      return {};
    }
    case v1::Envelope::kWorkerHeartbeat: {
      if (auto st = workers_.on_heartbeat(envelope->worker_heartbeat()); !st) return st;
      if (cases_) return cases_->on_job_heartbeat(envelope->worker_heartbeat());
      return {};
    }
    case v1::Envelope::kWorkerStopping: return workers_.on_stopping(envelope->worker_stopping());
    case v1::Envelope::kCheckResult:
      if (tasks_) return tasks_->on_check_result(envelope->check_result());
      break;
    case v1::Envelope::kMaintenanceResult:
      if (tasks_) return tasks_->on_maintenance_result(envelope->maintenance_result());
      break;
    default: break;
  }
  return make_error(Errc::refused, "the conductor's inbox does not take " + codec::body_name(*envelope));
}

Status EventPipeline::apply_intake(const amqp::Delivery& delivery, const v1::Envelope& envelope) {
  if (!cases_) return make_error(Errc::unavailable, "cases are not enabled");
  Status outcome;
  std::string case_id;
  if (envelope.has_submit_case()) {
    v1::SubmitCase request = envelope.submit_case();
    // Without a client id, the message's own id makes a redelivery the same case.
    const std::string& message_id = envelope.message_id().empty() ? delivery.message_id : envelope.message_id();
    if (request.case_id().empty() && !message_id.empty()) request.set_case_id("c-" + message_id.substr(0, 32));
    auto submitted = cases_->submit(request);
    if (submitted) case_id = submitted->record.id;
    else outcome = submitted.error();
    if (!submitted && case_id.empty()) case_id = request.case_id();
  } else if (envelope.has_cancel_case()) {
    case_id = envelope.cancel_case().case_id();
    outcome = cases_->cancel(case_id, envelope.cancel_case().reason());
    if (!outcome && (outcome.error().code == Errc::conflict || outcome.error().code == Errc::not_found)) {
      reply(delivery, case_id, false, outcome.error().message);
      return {};
    }
  } else {
    outcome = make_error(Errc::refused, "baton.intake takes submit_case or cancel_case, not " + codec::body_name(envelope));
  }
  // A database error is ours, not the request's: no answer yet, it comes back.
  if (!outcome && outcome.error().code == Errc::database) return outcome;
  reply(delivery, case_id, outcome.ok(), outcome.ok() ? "" : outcome.error().message);
  return outcome;
}

void EventPipeline::reply(const amqp::Delivery& request, const std::string& case_id, bool accepted,
                          const std::string& reason) {
  if (request.reply_to.empty()) return;
  v1::Envelope e;
  auto* r = e.mutable_intake_reply();
  r->set_case_id(case_id);
  r->set_accepted(accepted);
  r->set_reason(reason);
  e.set_correlation_id(request.correlation_id.empty() ? request.message_id : request.correlation_id);
  codec::stamp(e, "conductor", std::chrono::system_clock::now());
  auto message = codec::to_message(e, "", request.reply_to);
  // Answer in the language the request spoke.
  if (request.content_type.rfind(codec::kJson, 0) == 0) {
    message.body = codec::to_json(e);
    message.content_type = std::string(codec::kJson);
  }
  transport_.publish(std::move(message), {});
}

void EventPipeline::enqueue(amqp::Delivery delivery) {
  bool was_empty;
  {
    std::lock_guard lock(inbox_mu_);
    was_empty = inbox_.empty();
    inbox_.push_back(std::move(delivery));
  }
  if (was_empty) post_([this] { drain_inbox(); });
}

void EventPipeline::drain_inbox() {
  {
    std::lock_guard lock(inbox_mu_);
    draining_.swap(inbox_);
  }
  for (auto& d : draining_) (void)handle(std::move(d));
  draining_.clear();
  bool more;
  {
    std::lock_guard lock(inbox_mu_);
    more = !inbox_.empty();
  }
  // More arrived meanwhile: their drain is already posted and flushes after
  // them; committing now would only make the batch smaller.
  if (!more) (void)flush();
}

bool EventPipeline::handle(amqp::Delivery delivery) {
  const bool first = batch_.empty();
  if (auto st = store_.begin_batch(); !st) {
    log_->error("cannot open a write batch: {}; message requeued", st.error().message);
    transport_.reject(amqp::ref(delivery), true);
    return false;
  }
  const auto started = std::chrono::steady_clock::now();
  const Status applied = apply(delivery);
  if (observer_)
    observer_(delivery.type, applied.ok(), applied.ok() ? "" : to_string(applied.error().code),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (const auto& st = applied; !st) {
    if (st.error().code == Errc::database) {
      // Not the message's fault: let it come back once the database answers.
      // A failed statement leaves the rest of the transaction intact.
      log_->error("database error applying {}: {}; message requeued", delivery.type, st.error().message);
      transport_.reject(amqp::ref(delivery), true);
      database_failed(st.error());
      return first;
    }
    log_->warn("dead-lettering message {} from {} ({}): {}", delivery.message_id, delivery.routing_key,
               delivery.type.empty() ? "no type" : delivery.type, st.error().message);
    stats_.dead_lettered++;
    if (delivery.oversized)
      transport_.reject(amqp::ref(delivery), false);
    else {
      const std::pair<uint64_t, uint64_t> key{delivery.generation, delivery.delivery_tag};
      dead_letters_in_flight_.insert(key);
      transport_.dead_letter(delivery, st.error().message,
                             [this, key] { post_([this, key] { dead_letters_in_flight_.erase(key); }); });
    }
    return first;
  }
  stats_.applied++;
  batch_.push_back(amqp::ref(delivery));
  if (batch_.size() >= kMaxBatch) {
    (void)flush();  // logs and requeues on failure itself
    return false;
  }
  return first;
}

// Deliveries arrive in tag order and each is acked, rejected or dead-lettered
// before a later one, so one `multiple` ack settles a whole batch, unless the
// batch spans a reconnect or a dead-lettered message in it is still waiting.
void EventPipeline::ack_batch() {
  if (batch_.empty()) return;
  const amqp::DeliveryRef last = batch_.back();
  bool one_ack = true;
  for (const auto& r : batch_) one_ack = one_ack && r.generation == last.generation;
  for (const auto& [generation, tag] : dead_letters_in_flight_)
    one_ack = one_ack && !(generation == last.generation && tag < last.delivery_tag);
  if (one_ack) {
    transport_.ack(last, true);
    return;
  }
  for (const auto& r : batch_) transport_.ack(r);
}

void EventPipeline::release_commands(bool committed) {
  if (cases_) committed ? cases_->release_outbox() : cases_->discard_outbox();
  if (tasks_) committed ? tasks_->release_outbox() : tasks_->discard_outbox();
}

Status EventPipeline::flush() {
  if (!store_.in_batch()) {
    release_commands(true);
    for (const auto& listener : commit_listeners_) listener(true);
    return {};
  }
  Status committed = store_.commit_batch();
  release_commands(committed.ok());
  for (const auto& listener : commit_listeners_) listener(committed.ok());
  if (!committed) {
    stats_.commit_failures++;
    log_->error("commit of {} events failed: {}; they will be redelivered", batch_.size(), committed.error().message);
    for (const auto& r : batch_) transport_.reject(r, true);
    batch_.clear();
    database_failed(committed.error());
    return committed;
  }
  stats_.batches++;
  ack_batch();
  batch_.clear();
  return committed;
}

}  // namespace baton::conductor
