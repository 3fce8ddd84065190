#include <benchmark/benchmark.h>

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "common/amqp/transport.hpp"
#include "common/core/clock.hpp"
#include "common/log/logging.hpp"
#include "conductor/core/case_scheduler.hpp"
#include "conductor/core/worker_registry.hpp"
#include "conductor/store/conductor_store.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace baton::bench {
namespace {

using namespace std::chrono_literals;

// Publishes nowhere and confirms at once: only the scheduler's own work is timed.
class NullTransport final : public amqp::Transport {
 public:
  void publish(amqp::OutgoingMessage, amqp::PublishCallback done) override {
    if (done) done(amqp::PublishOutcome::confirmed);
  }
  void ack(amqp::DeliveryRef, bool) override {}
  void dead_letter(const amqp::Delivery&, std::string, std::function<void()> settled) override {
    if (settled) settled();
  }
  void reject(amqp::DeliveryRef, bool) override {}
  bool connected() const override { return true; }
};

// What both benchmarks stand on: logs at `level`, an in-memory store (so the
// conductor's own cost shows), a manual clock, a transport that publishes
// nowhere and a loaded worker registry.
struct Ground {
  explicit Ground(const char* level) {
    config::LogConfig quiet;
    quiet.level = level;
    log::init_logging(quiet, "bench");
    store = std::move(conductor::ConductorStore::open(":memory:").value());
    registry = std::make_unique<conductor::WorkerRegistry>(*store, clock, conductor::WorkersConfig{});
    loaded = registry->load().ok();
  }
  std::unique_ptr<conductor::ConductorStore> store;
  ManualClock clock;
  NullTransport transport;
  std::unique_ptr<conductor::WorkerRegistry> registry;
  bool loaded = false;
};

// One worker of 4 slots busy, `queue` cases waiting behind it. One op is one
// case's life on the conductor: its StepStarted and StepFinished are applied
// (the next waiting case is placed), and a new case is submitted so the
// queue keeps its depth.
void BM_CaseCycleBehindQueue(benchmark::State& state) {
  const int queue = static_cast<int>(state.range(0));
  Ground g("warn");  // a line per transition would be most of what is timed
  if (!g.loaded) return state.SkipWithError("registry load");
  auto& store = g.store;
  auto& clock = g.clock;
  auto& transport = g.transport;
  auto& registry = *g.registry;
  std::map<std::string, conductor::WorkflowDefinition> workflows;
  conductor::WorkflowDefinition run_true;
  run_true.name = "run_true";
  run_true.steps = {conductor::StepDefinition{"run", "run_true", "bench", 1, 0, 60s, {}, {}}};
  workflows["run_true"] = run_true;
  conductor::CaseScheduler scheduler(*store, transport, registry, clock, workflows, conductor::CasesConfig{},
                                     [](conductor::CaseScheduler::Reaction react) { (void)react(); });
  if (!scheduler.load().ok()) return state.SkipWithError("scheduler load");
  v1::WorkerRegister reg;
  reg.set_worker_id("w1");
  reg.set_slots(4);
  reg.set_heartbeat_interval_ms(1000);
  reg.add_labels("bench");
  registry.set_status_listener([&](const conductor::WorkerRecord& w) { (void)scheduler.on_worker_status(w); });
  if (!registry.on_register(reg).ok()) return state.SkipWithError("register");

  std::deque<std::string> order;  // FIFO: the front four run
  int next_id = 0;
  auto submit = [&] {
    v1::SubmitCase s;
    s.set_case_id("c" + std::to_string(next_id++));
    s.set_workflow("run_true");
    order.push_back(s.case_id());
    return scheduler.submit(s).ok();
  };
  for (int i = 0; i < queue + 4; ++i)
    if (!submit()) return state.SkipWithError("submit");
  if (!store->commit_batch().ok()) return state.SkipWithError("commit");
  scheduler.release_outbox();

  int in_batch = 0;
  for (auto _ : state) {
    const std::string id = order.front();
    order.pop_front();
    const conductor::CaseRecord* c = scheduler.find_active(id);
    if (!c) return state.SkipWithError("case not active");
    v1::StepRef ref;
    ref.set_case_id(id);
    ref.set_step_index(c->current_step);
    ref.set_attempt(c->attempt);
    ref.set_worker_id("w1");
    v1::StepStarted started;
    *started.mutable_step() = ref;
    started.set_pid(1);
    v1::StepFinished finished;
    *finished.mutable_step() = ref;
    finished.set_outcome(v1::StepFinished::SUCCEEDED);
    if (!scheduler.on_step_started(started).ok() || !scheduler.on_step_finished(finished).ok() || !submit())
      return state.SkipWithError("apply");
    // The conductor commits in write batches; 100 events is a typical one under load.
    if (++in_batch == 50) {
      in_batch = 0;
      if (!store->commit_batch().ok()) return state.SkipWithError("commit");
      scheduler.release_outbox();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CaseCycleBehindQueue)->Arg(0)->Arg(1000)->Arg(10000);

// `fleet` workers online, three scheduled checks targeting all of them, the
// status listener wired as in the conductor. One op is one worker stopping
// and registering again: the events a registration storm or a flapping node
// cost, each of which used to scan the whole fleet.
void BM_WorkerRejoinsFleet(benchmark::State& state) {
  const int fleet = static_cast<int>(state.range(0));
  Ground g("error");  // a stopped worker is a warning line
  if (!g.loaded) return state.SkipWithError("registry load");
  auto& store = g.store;
  auto& clock = g.clock;
  auto& transport = g.transport;
  auto& registry = *g.registry;
  const std::map<std::string, conductor::WorkflowDefinition> no_workflows;  // held by reference
  conductor::CaseScheduler cases(*store, transport, registry, clock, no_workflows, conductor::CasesConfig{},
                                 [](conductor::CaseScheduler::Reaction react) { (void)react(); });
  if (!cases.load().ok()) return state.SkipWithError("scheduler load");
  std::map<std::string, conductor::TaskDefinition> tasks;
  for (const char* name : {"disk_root", "memory", "gpu"}) {
    conductor::TaskDefinition check;
    check.name = name;
    check.type = "disk";
    conductor::ScheduleSpec every;
    every.name = check.schedule_name();
    every.interval = 60s;
    check.schedule = every;
    tasks[check.schedule_name()] = check;
  }
  conductor::TaskScheduler checks(*store, transport, registry, clock, tasks);
  if (!checks.load().ok()) return state.SkipWithError("task scheduler load");
  registry.set_status_listener([&](const conductor::WorkerRecord& w) {
    (void)cases.on_worker_status(w);
    (void)checks.refresh_worker(w);
  });
  auto registration = [](int i) {
    v1::WorkerRegister reg;
    reg.set_worker_id("w" + std::to_string(i));
    reg.set_slots(4);
    reg.set_heartbeat_interval_ms(5000);
    return reg;
  };
  for (int i = 0; i < fleet; ++i)
    if (!registry.on_register(registration(i)).ok()) return state.SkipWithError("register");
  if (!store->commit_batch().ok()) return state.SkipWithError("commit");

  int next = 0, in_batch = 0;
  for (auto _ : state) {
    const int i = next++ % fleet;
    v1::WorkerStopping stop;
    stop.set_worker_id("w" + std::to_string(i));
    if (!registry.on_stopping(stop).ok() || !registry.on_register(registration(i)).ok())
      return state.SkipWithError("apply");
    if (++in_batch == 50) {
      in_batch = 0;
      if (!store->commit_batch().ok()) return state.SkipWithError("commit");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WorkerRejoinsFleet)->Arg(100)->Arg(10000);

}  // namespace
}  // namespace baton::bench
