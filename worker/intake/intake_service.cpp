#include "worker/intake/intake_service.hpp"

#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"
#include "common/log/logging.hpp"

namespace baton::worker {

IntakeService::IntakeService(std::vector<DirIntakeConfig> watches, std::string state_dir, std::string worker_id,
                             amqp::Transport& transport, const Clock& clock)
    : watches_(std::move(watches)),
      state_dir_(std::move(state_dir)),
      worker_id_(std::move(worker_id)),
      transport_(transport),
      clock_(clock) {}

IntakeService::~IntakeService() { stop(); }

Status IntakeService::start() {
  auto ledger = IntakeLedger::open(state_dir_ + "/intake.db");
  if (!ledger) return make_error(ledger.error().code, "intake ledger: " + ledger.error().message);
  ledger_ = std::move(*ledger);
  auto log = log::logger("intake");
  auto unconfirmed = ledger_->unconfirmed();
  if (!unconfirmed) return unconfirmed.error();
  if (!unconfirmed->empty()) log->info("publishing {} submissions again that were never confirmed", unconfirmed->size());
  for (const auto& s : *unconfirmed) submit(s);
  intake_ = std::make_unique<DirIntake>(watches_, *ledger_, clock_);
  for (const auto& w : watches_)
    log->info("intake {}: watching {} for workflow {} (stable for {} ms)", w.name, w.dir, w.workflow,
              w.stable_for.count());
  thread_ = std::thread([this] { loop(); });
  return {};
}

void IntakeService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IntakeService::loop() {
  const auto interval = intake_->scan_interval();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    for (const auto& s : intake_->scan()) submit(s);
    lock.lock();
    cv_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

void IntakeService::submit(const IntakeSubmission& s) {
  v1::Envelope envelope;
  auto* submit = envelope.mutable_submit_case();
  submit->set_case_id(s.case_id);
  submit->set_workflow(s.workflow);
  submit->set_priority(s.priority);
  for (const auto& [k, v] : s.params) (*submit->mutable_params())[k] = v;
  // A fixed id: a republished submission is recognisably the same message.
  envelope.set_message_id("intake-" + s.case_id);
  codec::stamp(envelope, "baton-worker " + worker_id_, clock_.now());
  auto message = codec::to_message(envelope, "", amqp::kIntakeQueue);
  message.reply_to = amqp::worker_queue(worker_id_);
  transport_.publish(std::move(message), [this, case_id = s.case_id](amqp::PublishOutcome outcome) {
    auto log = log::logger("intake");
    if (outcome != amqp::PublishOutcome::confirmed) {
      // Left unconfirmed in the ledger: published again on the next start.
      log->warn("submission of case {} was not confirmed ({})", case_id, amqp::to_string(outcome));
      return;
    }
    if (auto st = ledger_->mark_confirmed(case_id); !st) log->error("intake ledger: {}", st.error().message);
  });
}

void IntakeService::on_reply(const v1::IntakeReply& reply) {
  auto log = log::logger("intake");
  if (reply.accepted()) log->info("case {} accepted by the conductor", reply.case_id());
  else log->error("case {} refused by the conductor: {}", reply.case_id(), reply.reason());
  if (ledger_)
    if (auto st = ledger_->set_reply(reply.case_id(), reply.accepted(), reply.reason()); !st)
      log->error("intake ledger: {}", st.error().message);
}

}  // namespace baton::worker
