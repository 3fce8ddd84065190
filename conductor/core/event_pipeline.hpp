#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "common/amqp/transport.hpp"
#include "conductor/core/case_scheduler.hpp"
#include "conductor/core/worker_registry.hpp"
#include "conductor/store/conductor_store.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace spdlog {
class logger;
}

namespace baton::conductor {

struct PipelineStats {
  uint64_t applied = 0;
  uint64_t dead_lettered = 0;
  uint64_t batches = 0;
  uint64_t commit_failures = 0;
};

// The conductor's inbox on the core strand: decode each delivery, apply it
// inside the open write batch, and ack only after the batch is committed, so
// an acked event is always durable. Undecodable messages go to the
// dead-letter queue with the reason; they never stop the pipeline.
class EventPipeline {
 public:
  static constexpr size_t kMaxBatch = 1000;

  EventPipeline(ConductorStore& store, amqp::Transport& transport, WorkerRegistry& workers);
  // How callbacks from the transport's threads get back onto the core strand
  // (inline by default, which suits FakeTransport).
  void set_post(std::function<void(std::function<void()>)> post) { post_ = std::move(post); }
  // Step events and the intake queue go to the scheduler once it is set.
  void set_case_scheduler(CaseScheduler* cases) { cases_ = cases; }
  void set_task_scheduler(TaskScheduler* tasks) { tasks_ = tasks; }
  // Told of every delivery: its type (the envelope's body, as published),
  // whether it was applied, why not (an Errc name), and how long it took.
  using Observer = std::function<void(const std::string& type, bool applied, const char* refusal, double seconds)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }
  // Told after every flush whether the batch committed: side effects decided
  // in a batch (notifications) leave only once it is durable.
  void add_commit_listener(std::function<void(bool committed)> listener) {
    commit_listeners_.push_back(std::move(listener));
  }
  // Called after a failed commit (the batch's deliveries handed back for
  // requeueing first) and after a database error while applying an event:
  // either way the events were already applied to the state in memory,
  // which is now ahead of the database. Redelivered, they would be taken for
  // duplicates and never written. The conductor exits on it, the broker
  // requeues whatever was unacked, and the restart reloads the state from
  // the database (crash-only recovery).
  void set_database_failure_handler(std::function<void(const Error&)> handler) {
    database_failure_ = std::move(handler);
  }
  // For any failure on the strand (an event, a commit, a timer tick, an API
  // call): a database error leaves memory ahead of the database wherever it
  // happens, so it goes to the handler; other errors are the caller's.
  void database_failed(const Error& error) {
    if (error.code == Errc::database && database_failure_) database_failure_(error);
  }

  // From any thread (the transport's consumer): queues the delivery and, only
  // when the inbox was empty, posts one drain onto the core strand. A burst of
  // deliveries then costs one post and one wake-up of the core thread instead
  // of one each; the drain applies them all and flushes once the inbox is
  // empty (or the batch is full), so a lone event is committed at once.
  void enqueue(amqp::Delivery delivery);

  // Returns true when the caller should schedule flush() (first event of a
  // new batch); flushes by itself when the batch is full.
  bool handle(amqp::Delivery delivery);
  // Commits and acks. On a failed commit the deliveries are requeued, to be
  // applied again once the database recovers.
  Status flush();
  // Runs a store change (e.g. the offline sweep) inside the current batch.
  template <class F>
  auto within_batch(F&& change) {
    (void)store_.begin_batch();
    return change();
  }

  // Opens the write batch (a no-op when one is open): work from other
  // threads runs in it and commits with flush().
  Status open_batch() { return store_.begin_batch(); }

  size_t pending() const { return batch_.size(); }
  // Deliveries handed over by the consumer and not applied yet.
  bool behind() const {
    std::lock_guard lock(inbox_mu_);
    return !inbox_.empty();
  }
  const PipelineStats& stats() const { return stats_; }

 private:
  Status apply(const amqp::Delivery& delivery);
  Status apply_intake(const amqp::Delivery& delivery, const v1::Envelope& envelope);
  void reply(const amqp::Delivery& request, const std::string& case_id, bool accepted, const std::string& reason);
  // Publishes the commands the batch decided, or drops them with it.
  void release_commands(bool committed);

  ConductorStore& store_;
  amqp::Transport& transport_;
  WorkerRegistry& workers_;
  CaseScheduler* cases_ = nullptr;
  TaskScheduler* tasks_ = nullptr;
  std::vector<std::function<void(bool)>> commit_listeners_;
  std::function<void(const Error&)> database_failure_;
  Observer observer_;
  void ack_batch();
  void drain_inbox();

  std::vector<amqp::DeliveryRef> batch_;
  mutable std::mutex inbox_mu_;
  std::vector<amqp::Delivery> inbox_;
  // Core strand only: swapped with inbox_, so both keep their capacity.
  std::vector<amqp::Delivery> draining_;
  // Dead-lettered deliveries whose original is not settled yet: a multiple
  // ack must not cover them (their own ack would then name an unknown tag).
  std::set<std::pair<uint64_t, uint64_t>> dead_letters_in_flight_;
  std::function<void(std::function<void()>)> post_ = [](std::function<void()> f) { f(); };
  PipelineStats stats_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace baton::conductor
