#include "conductor/core/case_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"
#include "common/log/logging.hpp"

namespace baton::conductor {

namespace {

bool has_label(const WorkerRecord& w, const std::string& label) {
  return std::find(w.labels.begin(), w.labels.end(), label) != w.labels.end();
}

v1::StepRef make_ref(const CaseRecord& c, const std::string& worker_id) {
  v1::StepRef ref;
  ref.set_case_id(c.id);
  ref.set_step_index(c.current_step);
  ref.set_attempt(c.attempt);
  ref.set_worker_id(worker_id);
  return ref;
}

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

CaseScheduler::CaseScheduler(ConductorStore& store, amqp::Transport& transport, WorkerRegistry& workers,
                             const Clock& clock, const std::map<std::string, WorkflowDefinition>& workflows,
                             CasesConfig config, Post post)
    : store_(store),
      transport_(transport),
      workers_(workers),
      clock_(clock),
      workflows_(workflows),
      config_(config),
      post_(std::move(post)),
      log_(log::logger("cases")) {}

CaseScheduler::~CaseScheduler() { *alive_ = false; }

const CaseRecord* CaseScheduler::find_active(const std::string& id) const {
  auto it = active_.find(id);
  return it == active_.end() ? nullptr : &it->second.record;
}

const WorkflowDefinition* CaseScheduler::workflow(const CaseRecord& record) const {
  auto it = workflows_.find(record.workflow);
  return it == workflows_.end() ? nullptr : &it->second;
}

namespace {
constexpr const char* kWaitingForCapacity = "waiting for capacity";
}  // namespace

std::string CaseScheduler::describe_step(const Active& a) const {
  const auto* wf = workflow(a.record);
  const std::string name = wf && a.record.current_step < wf->steps.size() ? wf->steps[a.record.current_step].name : "?";
  return "step " + std::to_string(a.record.current_step + 1) + "/" + std::to_string(wf ? wf->steps.size() : 0) +
         " (" + name + ")";
}

Status CaseScheduler::save(Active& a) {
  a.record.updated_at = clock_.now();
  if (auto st = store_.begin_batch(); !st) return st;
  if (change_listener_) change_listener_(a.record);
  note_waiting(a);
  return store_.update_case(a.record);
}

void CaseScheduler::note_waiting(Active& a) {
  if (waits(a)) waiting_.emplace(wait_key(a), &a);
}

Status CaseScheduler::transition(Active& a, CaseStatus status, std::string message, std::optional<TimePoint> at) {
  a.record.status = status;
  a.record.message = std::move(message);
  if (auto st = save(a); !st) return st;
  CaseHistoryRow row;
  row.at = at.value_or(clock_.now());
  row.status = status;
  row.step = a.record.current_step;
  row.attempt = a.record.attempt;
  row.worker_id = a.attempt ? a.attempt->worker_id : a.record.worker_id;
  row.message = a.record.message;
  log_->info("case {} {}: {}", a.record.id, to_string(status), a.record.message);
  if (problem_listener_) {
    if (status == CaseStatus::failed) problem_listener_(a.record, Problem::failed, a.record.message);
    else if (status == CaseStatus::completed || status == CaseStatus::cancelled)
      problem_listener_(a.record, Problem::recovered, a.record.message);
  }
  return store_.append_case_history(a.record.id, row);
}

Status CaseScheduler::load() {
  excuse_silence_until(clock_.now());
  auto cases = store_.active_cases();
  if (!cases) return cases.error();
  for (auto& record : *cases) {
    Active a{std::move(record), std::nullopt};
    const WorkflowDefinition* wf = workflow(a.record);
    if (!wf || a.record.current_step >= wf->steps.size()) {
      // The config changed under it: end it plainly instead of guessing.
      a.record.status = CaseStatus::failed;
      a.record.message = wf ? "workflow " + a.record.workflow + " no longer has step " +
                                  std::to_string(a.record.current_step + 1)
                            : "workflow " + a.record.workflow + " is no longer configured";
      if (auto st = save(a); !st) return st;
      CaseHistoryRow row{clock_.now(), CaseStatus::failed, a.record.current_step, a.record.attempt, a.record.worker_id,
                         a.record.message};
      if (auto st = store_.append_case_history(a.record.id, row); !st) return st;
      log_->warn("case {} failed at start-up: {}", a.record.id, a.record.message);
      continue;
    }
    auto attempts = store_.step_attempts(a.record.id);
    if (!attempts) return attempts.error();
    for (auto& at : *attempts)
      if (at.step == a.record.current_step && at.attempt == a.record.attempt && !is_finished(at.status))
        a.attempt = at;
    if (a.attempt) {
      auto& use = usage_[a.attempt->worker_id];
      use.slots += a.attempt->slots;
      use.gpus.insert(a.attempt->gpus.begin(), a.attempt->gpus.end());
    }
    const std::string id = a.record.id;
    note_waiting(active_.emplace(id, std::move(a)).first->second);
  }
  size_t resent = 0;
  for (auto& [id, a] : active_)
    if (a.attempt) {
      send_run_step(a);
      ++resent;
    }
  if (!active_.empty())
    log_->info("{} unfinished cases loaded; {} in-flight steps sent again to their workers", active_.size(), resent);
  return {};
}

Result<SubmitOutcome> CaseScheduler::submit(const v1::SubmitCase& request) {
  auto wf_it = workflows_.find(request.workflow());
  if (wf_it == workflows_.end()) {
    std::string known;
    for (const auto& [name, _] : workflows_) known += (known.empty() ? "" : ", ") + name;
    return make_error(Errc::invalid_argument, "unknown workflow '" + request.workflow() + "'" +
                                                  (known.empty() ? " (none configured)" : " (known: " + known + ")"));
  }
  const WorkflowDefinition& wf = wf_it->second;
  std::map<std::string, std::string> params(request.params().begin(), request.params().end());
  const auto required = wf.required_params();
  for (const auto& name : required)
    if (!params.count(name))
      return make_error(Errc::invalid_argument, "workflow " + wf.name + " needs parameter '" + name + "'");
  for (const auto& [name, _] : params)
    if (!required.count(name)) {
      std::string takes;
      for (const auto& r : required) takes += (takes.empty() ? "" : ", ") + r;
      return make_error(Errc::invalid_argument, "unknown parameter '" + name + "' for workflow " + wf.name +
                                                    " (it takes: " + (takes.empty() ? "none" : takes) + ")");
    }

  const std::string id = request.case_id().empty() ? "c-" + codec::new_message_id().substr(0, 12) : request.case_id();
  if (auto it = active_.find(id); it != active_.end()) {
    if (it->second.record.workflow != wf.name || it->second.record.params != params)
      return make_error(Errc::conflict, "case " + id + " exists with another workflow or other parameters");
    return SubmitOutcome{it->second.record, false};
  }
  auto existing = store_.find_case(id);
  if (!existing) return existing.error();
  if (*existing) {
    const CaseRecord& old = **existing;
    if (old.workflow != wf.name || old.params != params)
      return make_error(Errc::conflict, "case " + id + " exists with another workflow or other parameters");
    return SubmitOutcome{old, false};
  }

  Active a;
  a.record.id = id;
  a.record.workflow = wf.name;
  a.record.params = std::move(params);
  a.record.priority = request.priority();
  a.record.created_at = a.record.updated_at = clock_.now();
  if (auto st = store_.begin_batch(); !st) return st.error();
  if (auto st = store_.insert_case(a.record); !st) return st.error();
  auto [it, _] = active_.emplace(id, std::move(a));
  if (auto st = transition(it->second, CaseStatus::queued, "submitted"); !st) return st.error();
  if (auto st = place_waiting(); !st) return st.error();
  // place_waiting stops once no worker has a free slot; the new case still
  // learns what it waits for (nothing can be placed, so order is kept).
  if (auto again = active_.find(id); again != active_.end() && waits(again->second) &&
                                     again->second.record.message == "submitted") {
    if (auto placed = try_place(again->second); !placed) return placed.error();
  }
  const CaseRecord* now = find_active(id);
  if (now) return SubmitOutcome{*now, true};
  auto stored = store_.find_case(id);
  if (!stored || !*stored) return make_error(Errc::database, "case " + id + " vanished after submission");
  return SubmitOutcome{**stored, true};
}

Result<bool> CaseScheduler::try_place(Active& a) {
  if (auto st = store_.begin_batch(); !st) return st.error();
  const WorkflowDefinition* wf = workflow(a.record);
  if (!wf) {
    if (auto st = transition(a, CaseStatus::failed, "workflow " + a.record.workflow + " is no longer configured"); !st)
      return st.error();
    return false;
  }
  const StepDefinition& step = wf->steps[a.record.current_step];
  auto params = wf->step_params(a.record.current_step, a.record.params);
  if (!params) {
    if (auto st = transition(a, CaseStatus::failed, params.error().message); !st) return st.error();
    return false;
  }

  const WorkerRecord* best = nullptr;
  unsigned best_free = 0;
  for (const auto& [id, w] : workers_.all()) {
    if (!w.online || w.draining || !has_label(w, step.pool)) continue;
    const Usage& use = usage_[id];
    const unsigned free_slots = w.slots > use.slots ? w.slots - use.slots : 0;
    const size_t free_gpus = w.gpu_indices.size() - std::min(use.gpus.size(), w.gpu_indices.size());
    if (free_slots < step.slots || free_gpus < step.gpus) continue;
    if (!best || free_slots > best_free) {
      best = &w;
      best_free = free_slots;
    }
  }
  if (!best) {
    const std::string waiting = kWaitingForCapacity + (" in pool " + step.pool) + " (" + std::to_string(step.slots) +
                                " slots, " + std::to_string(step.gpus) + " GPUs) for " + describe_step(a);
    if (a.record.status != CaseStatus::queued) {
      if (auto st = transition(a, CaseStatus::queued, waiting); !st) return st.error();
    } else if (a.record.message != waiting && a.record.not_before <= clock_.now()) {
      a.record.message = waiting;
      if (auto st = save(a); !st) return st.error();
    }
    return false;
  }

  Usage& use = usage_[best->id];
  StepAttemptRecord at;
  for (unsigned g : best->gpu_indices) {
    if (at.gpus.size() == step.gpus) break;
    if (!use.gpus.count(g)) at.gpus.push_back(g);
  }
  a.record.attempt += 1;
  a.record.worker_id = best->id;
  a.record.progress = -1;
  a.record.progress_message.clear();
  at.case_id = a.record.id;
  at.step = a.record.current_step;
  at.step_name = step.name;
  at.attempt = a.record.attempt;
  at.worker_id = best->id;
  at.slots = step.slots;
  at.dispatched_at = clock_.now();
  use.slots += step.slots;
  use.gpus.insert(at.gpus.begin(), at.gpus.end());
  a.attempt = at;
  if (auto st = store_.upsert_attempt(at); !st) return st.error();
  if (auto st = transition(a, CaseStatus::processing,
                           describe_step(a) + " attempt " + std::to_string(at.attempt) + " sent to " + best->id);
      !st)
    return st.error();
  send_run_step(a);
  return true;
}

Status CaseScheduler::place_waiting() {
  // Capacity only shrinks during this pass, so once a step of some pool and
  // size found no room, a later case needing the same cannot find any
  // either: it is skipped when it already says it waits. And once no worker
  // has a free slot, only a zero-slot step could still be placed.
  struct Need {
    const std::string* pool;
    unsigned slots;
    unsigned gpus;
  };
  std::vector<Need> full;
  auto no_room_for = [&full](const StepDefinition& step) {
    return std::any_of(full.begin(), full.end(), [&step](const Need& n) {
      return n.slots == step.slots && n.gpus == step.gpus && *n.pool == step.pool;
    });
  };
  bool zero_slot_steps = false;
  for (const auto& [name, wf] : workflows_)
    for (const auto& step : wf.steps) zero_slot_steps = zero_slot_steps || step.slots == 0;
  auto any_free_slot = [this] {
    for (const auto& [id, w] : workers_.all()) {
      if (!w.online || w.draining) continue;
      auto use = usage_.find(id);
      if (w.slots > (use == usage_.end() ? 0u : use->second.slots)) return true;
    }
    return false;
  };

  // Asked only when a case waits: the scan is O(workers), and a worker
  // coming online with nothing queued must stay O(1) (a registration storm of
  // N workers would otherwise cost O(N^2)).
  std::optional<bool> free_slot;
  auto has_free_slot = [&] {
    if (!free_slot) free_slot = any_free_slot();
    return *free_slot;
  };

  const TimePoint now = clock_.now();
  std::vector<std::string> ended;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    Active* a = it->second;
    if (!waits(*a)) {
      it = waiting_.erase(it);
      continue;
    }
    if (!zero_slot_steps && !has_free_slot()) break;
    if (a->record.not_before > now) {
      ++it;
      continue;
    }
    const WorkflowDefinition* wf = workflow(a->record);
    const StepDefinition* step =
        wf && a->record.current_step < wf->steps.size() ? &wf->steps[a->record.current_step] : nullptr;
    if (step && a->record.status == CaseStatus::queued && no_room_for(*step) &&
        a->record.message.starts_with(kWaitingForCapacity)) {
      ++it;
      continue;
    }
    auto placed = try_place(*a);
    if (!placed) return placed.error();
    if (is_terminal(a->record.status)) {
      ended.push_back(a->record.id);
      it = waiting_.erase(it);
    } else if (*placed) {
      it = waiting_.erase(it);
      free_slot.reset();
    } else {
      if (step && !no_room_for(*step)) full.push_back({&step->pool, step->slots, step->gpus});
      ++it;
    }
  }
  for (const auto& id : ended)
    if (auto st = end_case(id); !st) return st;
  return {};
}

void CaseScheduler::send(const std::string& worker_id, v1::Envelope command, bool react_if_undeliverable,
                         const std::string& case_id, unsigned step, unsigned attempt) {
  codec::stamp(command, "conductor", clock_.now());
  auto message = codec::to_message(command, amqp::kCommandsExchange, amqp::worker_routing_key(worker_id));
  message.mandatory = true;
  amqp::PublishCallback done;
  if (react_if_undeliverable) {
    done = [this, post = post_, alive = alive_, worker_id, case_id, step, attempt](amqp::PublishOutcome outcome) {
      if (outcome != amqp::PublishOutcome::returned && outcome != amqp::PublishOutcome::nacked) return;
      post([this, alive, worker_id, case_id, step, attempt, outcome]() -> Status {
        if (!*alive) return {};
        v1::StepRejected rejected;
        rejected.mutable_step()->set_case_id(case_id);
        rejected.mutable_step()->set_step_index(step);
        rejected.mutable_step()->set_attempt(attempt);
        rejected.mutable_step()->set_worker_id(worker_id);
        rejected.set_reason(std::string("the broker ") + amqp::to_string(outcome) + " the command for worker " +
                            worker_id + " (no queue for it)");
        return on_step_rejected(rejected);
      });
    };
  }
  outbox_.add(std::move(message), std::move(done));
}

void CaseScheduler::release_outbox() { outbox_.release(); }

void CaseScheduler::discard_outbox() {
  if (const size_t dropped = outbox_.discard(); dropped > 0)
    log_->warn("{} commands dropped with a failed commit; they are sent again on restart", dropped);
}

void CaseScheduler::send_run_step(const Active& a) {
  const WorkflowDefinition* wf = workflow(a.record);
  if (!wf || !a.attempt) return;
  const StepDefinition& step = wf->steps[a.record.current_step];
  v1::Envelope e;
  auto* run = e.mutable_run_step();
  run->set_case_id(a.record.id);
  run->set_step_index(a.record.current_step);
  run->set_step_name(step.name);
  run->set_attempt(a.record.attempt);
  run->set_action(step.action);
  if (auto params = wf->step_params(a.record.current_step, a.record.params))
    for (auto& [k, v] : *params) (*run->mutable_params())[k] = v;
  run->set_slots(step.slots);
  for (unsigned g : a.attempt->gpus) run->add_gpus(g);
  run->set_timeout_ms(static_cast<uint32_t>(step.timeout.count()));
  // The same id for every resend of one attempt, so it reads as one command.
  e.set_message_id(a.record.id + "/" + std::to_string(a.record.current_step) + "/" +
                   std::to_string(a.record.attempt) + "/run");
  send(a.attempt->worker_id, std::move(e), true, a.record.id, a.record.current_step, a.record.attempt);
}

void CaseScheduler::send_cancel(const std::string& worker_id, const v1::StepRef& ref, const std::string& reason) {
  v1::Envelope e;
  auto* cancel = e.mutable_cancel_step();
  cancel->set_case_id(ref.case_id());
  cancel->set_step_index(ref.step_index());
  cancel->set_attempt(ref.attempt());
  cancel->set_reason(reason);
  send(worker_id, std::move(e), false);
}

CaseScheduler::Active* CaseScheduler::current(const v1::StepRef& ref, bool cancel_if_stale) {
  auto it = active_.find(ref.case_id());
  if (it != active_.end() && it->second.attempt && it->second.record.current_step == ref.step_index() &&
      it->second.record.attempt == ref.attempt() &&
      (ref.worker_id().empty() || ref.worker_id() == it->second.attempt->worker_id))
    return &it->second;
  log_->debug("stale step event for {} step {} attempt {} from {}", ref.case_id(), ref.step_index(), ref.attempt(),
              ref.worker_id());
  if (cancel_if_stale && !ref.worker_id().empty())
    send_cancel(ref.worker_id(), ref, "this attempt was given up (its worker was lost, or the case ended)");
  return nullptr;
}

Status CaseScheduler::finish_attempt(Active& a, AttemptStatus status, const std::string& message) {
  if (auto st = store_.begin_batch(); !st) return st;
  StepAttemptRecord& at = *a.attempt;
  const StepAttemptRecord before = at;
  at.status = status;
  at.finished_at = clock_.now();
  if (at.message.empty() || status == AttemptStatus::lost) at.message = message;
  if (auto st = store_.upsert_attempt(at); !st) {
    at = before;  // unchanged in memory: the event comes back and is applied again
    return st;
  }
  Usage& use = usage_[at.worker_id];
  use.slots -= std::min(use.slots, at.slots);
  for (unsigned g : at.gpus) use.gpus.erase(g);
  a.attempt.reset();
  note_waiting(a);
  return {};
}

Status CaseScheduler::end_case(const std::string& id) {
  if (auto it = active_.find(id); it != active_.end()) {
    waiting_.erase(wait_key(it->second));
    active_.erase(it);
  }
  // Capacity freed: someone else may fit now.
  return place_waiting();
}

Status CaseScheduler::after_failure(Active& a, const std::string& why) {
  const std::string id = a.record.id;
  if (a.record.cancel_requested) {
    if (auto st = transition(a, CaseStatus::cancelled, "cancelled: " + why); !st) return st;
    return end_case(id);
  }
  const WorkflowDefinition* wf = workflow(a.record);
  const unsigned failures = a.record.attempt - a.record.retry_base;
  const unsigned budget = wf ? wf->steps[a.record.current_step].retry.max_attempts : 1;
  if (wf && failures < budget) {
    const auto delay = wf->retry_delay(a.record.current_step, failures);
    a.record.not_before = clock_.now() + delay;
    if (auto st = transition(a, CaseStatus::queued,
                             describe_step(a) + " attempt " + std::to_string(a.record.attempt) + " failed: " + why +
                                 "; retry " + std::to_string(failures + 1) + " of " + std::to_string(budget) +
                                 " in " + seconds_text(delay));
        !st)
      return st;
    return place_waiting();
  }
  if (auto st = transition(a, CaseStatus::failed,
                           describe_step(a) + " failed after " + std::to_string(failures) + " attempt" +
                               (failures == 1 ? "" : "s") + ": " + why);
      !st)
    return st;
  return end_case(id);
}

Status CaseScheduler::on_step_started(const v1::StepStarted& e) {
  Active* a = current(e.step(), true);
  if (!a) return {};
  return start_attempt(*a, e, clock_.now(), false);
}

Status CaseScheduler::start_attempt(Active& a, const v1::StepStarted& e, TimePoint at, bool with_end) {
  if (a.attempt->status == AttemptStatus::running) return {};
  a.attempt->status = AttemptStatus::running;
  a.attempt->pid = e.pid();
  a.attempt->started_at = at;
  if (auto st = store_.begin_batch(); !st) return st;
  if (auto st = store_.upsert_attempt(*a.attempt); !st) return st;
  if (auto st = transition(a, CaseStatus::executing,
                           describe_step(a) + " attempt " + std::to_string(a.record.attempt) + " running on " +
                               a.attempt->worker_id + " (pid " + std::to_string(e.pid()) + ")",
                           at);
      !st)
    return st;
  if (start_listener_) start_listener_(with_end);
  return {};
}

Status CaseScheduler::on_step_progress(const v1::StepProgress& e) {
  Active* a = current(e.step(), true);
  if (!a) return {};
  a->record.progress = static_cast<int>(std::min(e.percent(), 100u));
  a->record.progress_message = e.message();
  return save(*a);
}

Status CaseScheduler::on_step_finished(const v1::StepFinished& e) {
  Active* a = current(e.step(), false);
  if (!a) return {};
  // A job that ended before its worker sent the StepStarted: its start is
  // recorded from this event, dated back by the job's run time from now (an
  // estimate, late by the event's time in transit), never before the
  // dispatch nor after now.
  if (e.has_started() && a->attempt->status != AttemptStatus::running) {
    const TimePoint now = clock_.now();
    const TimePoint began =
        std::min(now, std::max(a->attempt->dispatched_at, now - std::chrono::milliseconds(e.duration_ms())));
    if (auto st = start_attempt(*a, e.started(), began, true); !st) return st;
  }
  if (step_listener_)
    step_listener_(v1::StepFinished::Outcome_Name(e.outcome()), std::chrono::milliseconds(e.duration_ms()));
  a->attempt->exit_code = e.exit_code();
  a->attempt->output_tail = e.output_tail();
  a->attempt->message = e.message();
  const std::string id = a->record.id;
  switch (e.outcome()) {
    case v1::StepFinished::SUCCEEDED: {
      if (auto st = finish_attempt(*a, AttemptStatus::succeeded, e.message()); !st) return st;
      const WorkflowDefinition* wf = workflow(a->record);
      if (a->record.cancel_requested) {
        if (auto st = transition(*a, CaseStatus::cancelled, "cancelled after " + describe_step(*a) + " finished"); !st)
          return st;
        return end_case(id);
      }
      if (!wf || a->record.current_step + 1 >= wf->steps.size()) {
        a->record.progress = 100;
        if (auto st = transition(*a, CaseStatus::completed, "all " + std::to_string(wf ? wf->steps.size() : 0) +
                                                                " steps succeeded");
            !st)
          return st;
        return end_case(id);
      }
      a->record.current_step += 1;
      a->record.attempt = 0;
      a->record.retry_base = 0;
      a->record.worker_id.clear();
      // Between steps: try_place records PROCESSING with the next worker, or
      // QUEUED when nothing fits; this state never outlives the batch.
      a->record.status = CaseStatus::processing;
      if (auto st = save(*a); !st) return st;
      return place_waiting();
    }
    case v1::StepFinished::CANCELLED: {
      if (auto st = finish_attempt(*a, AttemptStatus::cancelled, e.message()); !st) return st;
      if (auto st = transition(*a, CaseStatus::cancelled, "cancelled: " + e.message()); !st) return st;
      return end_case(id);
    }
    case v1::StepFinished::TIMED_OUT: {
      if (auto st = finish_attempt(*a, AttemptStatus::timed_out, e.message()); !st) return st;
      return after_failure(*a, e.message().empty() ? "timed out" : e.message());
    }
    default: {
      if (auto st = finish_attempt(*a, AttemptStatus::failed, e.message()); !st) return st;
      return after_failure(*a, e.message().empty() ? "failed" : e.message());
    }
  }
}

Status CaseScheduler::on_step_rejected(const v1::StepRejected& e) {
  Active* a = current(e.step(), false);
  if (!a) return {};
  if (auto st = finish_attempt(*a, AttemptStatus::rejected, e.reason()); !st) return st;
  const WorkerRecord* worker = workers_.find(e.step().worker_id());
  if (worker && worker->draining && !a->record.cancel_requested) {
    // Placed just before we heard it was draining: not the step's fault.
    a->record.retry_base += 1;
    if (auto st = transition(*a, CaseStatus::queued, e.step().worker_id() + " is draining; " + describe_step(*a) +
                                                         " requeued");
        !st)
      return st;
    return place_waiting();
  }
  return after_failure(*a, "refused by " + e.step().worker_id() + ": " + e.reason());
}

Status CaseScheduler::on_running_steps(const v1::RunningSteps& e) {
  std::set<std::tuple<std::string, unsigned, unsigned>> reported;
  const TimePoint now = clock_.now();
  for (const auto& ref : e.steps()) {
    reported.emplace(ref.case_id(), ref.step_index(), ref.attempt());
    // stops attempts we have given up on; a listed current one is alive
    if (Active* a = current(ref, true)) a->job_seen = now;
  }
  // What we think runs there but the worker does not list: either it finished
  // (the worker re-reports its result from jobs.db) or the command never
  // arrived (the worker starts it now, once).
  for (const auto& [id, a] : active_)
    if (a.attempt && a.attempt->worker_id == e.worker_id() &&
        !reported.count({id, a.record.current_step, a.record.attempt}))
      send_run_step(a);
  return {};
}

Status CaseScheduler::on_worker_registered(const std::string& worker_id) {
  // Its job heartbeats restart now: the reconcile below answers for the gap.
  const TimePoint now = clock_.now();
  for (auto& [_, a] : active_)
    if (a.attempt && a.attempt->worker_id == worker_id) a.job_seen = now;
  v1::Envelope e;
  e.mutable_reconcile()->set_reason("worker registered");
  send(worker_id, std::move(e), false);
  return place_waiting();
}

Status CaseScheduler::on_worker_status(const WorkerRecord& worker) {
  if (worker.online) return place_waiting();
  std::vector<std::string> lost;
  for (auto& [id, a] : active_)
    if (a.attempt && a.attempt->worker_id == worker.id) lost.push_back(id);
  if (worker.jobs_left_running) {
    // It stopped on purpose and its jobs run on under their supervisors: when
    // it returns it is reconciled; if it never does, stuck detection ends them.
    if (!lost.empty())
      log_->info("{} steps keep running on stopped worker {}; they are reconciled when it returns", lost.size(),
                 worker.id);
    return place_waiting();
  }
  for (const auto& id : lost) {
    Active& a = active_.at(id);
    const std::string why = "worker " + worker.id + " went offline (" + worker.offline_reason + ")";
    if (auto st = finish_attempt(a, AttemptStatus::lost, why); !st) return st;
    if (a.record.cancel_requested) {
      if (auto st = transition(a, CaseStatus::cancelled, "cancelled; " + why); !st) return st;
      if (auto st = end_case(id); !st) return st;
    } else if (config_.on_worker_lost == CasesConfig::OnWorkerLost::requeue) {
      // Not the step's fault: the attempt does not count against its budget.
      a.record.retry_base += 1;
      a.record.not_before = clock_.now();
      if (auto st = transition(a, CaseStatus::queued, why + "; " + describe_step(a) + " requeued"); !st) return st;
    } else {
      if (auto st = transition(a, CaseStatus::failed, why); !st) return st;
      if (auto st = end_case(id); !st) return st;
    }
  }
  return place_waiting();
}

Status CaseScheduler::cancel(const std::string& case_id, const std::string& reason) {
  auto it = active_.find(case_id);
  if (it == active_.end()) {
    auto stored = store_.find_case(case_id);
    if (!stored) return stored.error();
    if (!*stored) return make_error(Errc::not_found, "no case named " + case_id);
    return make_error(Errc::conflict, "case " + case_id + " already ended (" + to_string((*stored)->status) + ")");
  }
  Active& a = it->second;
  const std::string why = reason.empty() ? "cancelled by request" : reason;
  if (!a.attempt) {
    if (auto st = transition(a, CaseStatus::cancelled, why); !st) return st;
    return end_case(case_id);
  }
  a.record.cancel_requested = true;
  a.record.message = "cancel requested: " + why;
  if (auto st = save(a); !st) return st;
  send_cancel(a.attempt->worker_id, make_ref(a.record, a.attempt->worker_id), why);
  return {};
}

Status CaseScheduler::retry(const std::string& case_id) {
  if (active_.count(case_id)) return make_error(Errc::conflict, "case " + case_id + " has not ended");
  auto stored = store_.find_case(case_id);
  if (!stored) return stored.error();
  if (!*stored) return make_error(Errc::not_found, "no case named " + case_id);
  if ((*stored)->status == CaseStatus::completed)
    return make_error(Errc::conflict, "case " + case_id + " completed; nothing to retry");
  Active a{**stored, std::nullopt};
  a.record.retry_base = a.record.attempt;
  a.record.cancel_requested = false;
  a.record.not_before = clock_.now();
  auto [it, _] = active_.emplace(case_id, std::move(a));
  if (auto st = transition(it->second, CaseStatus::queued, "retry requested from " + describe_step(it->second)); !st)
    return st;
  return place_waiting();
}

Status CaseScheduler::on_job_heartbeat(const v1::WorkerHeartbeat& beat) {
  const TimePoint now = clock_.now();
  for (const auto& ref : beat.running()) {
    auto it = active_.find(ref.case_id());
    if (it == active_.end() || !it->second.attempt) continue;
    Active& a = it->second;
    if (a.attempt->worker_id == beat.worker_id() && a.record.current_step == ref.step_index() &&
        a.record.attempt == ref.attempt())
      a.job_seen = now;
  }
  return {};
}

std::optional<std::string> CaseScheduler::stuck_reason(const Active& a, TimePoint now) const {
  const WorkflowDefinition* wf = workflow(a.record);
  if (!wf) return std::nullopt;
  const std::string& worker = a.attempt->worker_id;
  const TimePoint since = a.attempt->started_at.value_or(a.attempt->dispatched_at);
  // The grace counts only while the conductor could hear the result come.
  if (now - since > wf->steps[a.record.current_step].timeout + config_.stuck_grace &&
      now - heard_since_ > config_.stuck_grace)
    return "stuck: no result from " + worker + " " + seconds_text(config_.stuck_grace) + " past the step's timeout";
  // Only a running job on a worker that is online owes us heartbeats: an
  // offline worker's steps follow on_worker_lost, and the timeout above.
  if (config_.job_heartbeat_timeout.count() == 0 || !a.attempt->started_at) return std::nullopt;
  const WorkerRecord* w = workers_.find(worker);
  if (!w || !w->online) return std::nullopt;
  const TimePoint seen = std::max({a.job_seen, *a.attempt->started_at, heard_since_});
  if (now - seen > config_.job_heartbeat_timeout)
    return "stuck: " + worker + " has not reported the job for " + seconds_text(config_.job_heartbeat_timeout);
  return std::nullopt;
}

Status CaseScheduler::tick() {
  const TimePoint now = clock_.now();
  std::vector<std::pair<std::string, std::string>> stuck;
  for (auto& [id, a] : active_)
    if (a.attempt)
      if (auto why = stuck_reason(a, now)) stuck.emplace_back(id, std::move(*why));
  for (const auto& [id, why] : stuck) {
    Active& a = active_.at(id);
    const std::string worker = a.attempt->worker_id;
    const v1::StepRef ref = make_ref(a.record, worker);
    log_->warn("case {}: {}", id, why);
    if (auto st = store_.add_case_problem({id, a.record.current_step, a.record.attempt, worker, "stuck", why, now}); !st)
      return st;
    if (problem_listener_) problem_listener_(a.record, Problem::stuck, why);
    if (auto st = finish_attempt(a, AttemptStatus::lost, why); !st) return st;
    send_cancel(worker, ref, why);
    if (a.record.cancel_requested || config_.on_stuck == CasesConfig::OnStuck::retry) {
      if (auto st = after_failure(a, why); !st) return st;
    } else if (config_.on_stuck == CasesConfig::OnStuck::requeue) {
      a.record.retry_base += 1;
      a.record.not_before = now;
      if (auto st = transition(a, CaseStatus::queued, why + "; " + describe_step(a) + " requeued"); !st) return st;
    } else {
      if (auto st = transition(a, CaseStatus::failed, why); !st) return st;
      if (auto st = end_case(id); !st) return st;
    }
  }
  return place_waiting();
}

}  // namespace baton::conductor
