#include "conductor/core/event_pipeline.hpp"

#include <spdlog/spdlog.h>

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
  if (!envelope) return envelope.error();
  switch (envelope->body_case()) {
    case v1::Envelope::kWorkerRegister: return workers_.on_register(envelope->worker_register());
    case v1::Envelope::kWorkerHeartbeat: return workers_.on_heartbeat(envelope->worker_heartbeat());
    case v1::Envelope::kWorkerStopping: return workers_.on_stopping(envelope->worker_stopping());
    default:
      return make_error(Errc::refused, "the conductor's inbox does not take " + codec::body_name(*envelope));
  }
}

bool EventPipeline::handle(amqp::Delivery delivery) {
  const bool first = batch_.empty();
  if (auto st = store_.begin_batch(); !st) {
    log_->error("cannot open a write batch: {}; message requeued", st.error().message);
    transport_.reject(amqp::ref(delivery), true);
    return false;
  }
  if (auto st = apply(delivery); !st) {
    if (st.error().code == Errc::database) {
      // Not the message's fault: let it come back once the database answers.
      // A failed statement leaves the rest of the transaction intact.
      log_->error("database error applying {}: {}; message requeued", delivery.type, st.error().message);
      transport_.reject(amqp::ref(delivery), true);
      return first;
    }
    log_->warn("dead-lettering message {} from {} ({}): {}", delivery.message_id, delivery.routing_key,
               delivery.type.empty() ? "no type" : delivery.type, st.error().message);
    stats_.dead_lettered++;
    if (delivery.oversized)
      transport_.reject(amqp::ref(delivery), false);
    else
      transport_.dead_letter(delivery, st.error().message);
    return first;
  }
  stats_.applied++;
  batch_.push_back(amqp::ref(delivery));
  if (batch_.size() >= kMaxBatch) {
    flush();
    return false;
  }
  return first;
}

void EventPipeline::flush() {
  if (!store_.in_batch()) return;
  if (auto st = store_.commit_batch(); !st) {
    stats_.commit_failures++;
    log_->error("commit of {} events failed: {}; they will be redelivered", batch_.size(), st.error().message);
    for (const auto& r : batch_) transport_.reject(r, true);
  } else {
    stats_.batches++;
    for (const auto& r : batch_) transport_.ack(r);
  }
  batch_.clear();
}

}  // namespace baton::conductor
