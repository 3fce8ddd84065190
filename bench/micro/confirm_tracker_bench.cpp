#include <benchmark/benchmark.h>

#include <functional>
#include <string>

#include "common/amqp/confirm_tracker.hpp"

namespace baton::bench {
namespace {

// Shaped like the publisher's PendingPublish: a body and a callback.
struct Pending {
  std::string body;
  std::function<void()> done;
};

Pending make_pending() { return {std::string(180, 'x'), [] {}}; }

// The broker confirms each publish on its own (basic.ack, multiple = false).
void BM_ConfirmTrackSettleSingle(benchmark::State& state) {
  amqp::ConfirmTracker<Pending> tracker;
  for (auto _ : state) {
    const uint64_t seq = tracker.track(make_pending());
    auto settled = tracker.settle(seq, false);
    benchmark::DoNotOptimize(settled);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConfirmTrackSettleSingle);

// `range(0)` publishes in flight, settled by one basic.ack with multiple = true.
void BM_ConfirmTrackSettleMultiple(benchmark::State& state) {
  const auto window = static_cast<uint64_t>(state.range(0));
  amqp::ConfirmTracker<Pending> tracker;
  for (auto _ : state) {
    uint64_t last = 0;
    for (uint64_t i = 0; i < window; ++i) last = tracker.track(make_pending());
    auto settled = tracker.settle(last, true);
    benchmark::DoNotOptimize(settled);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(window));
}
BENCHMARK(BM_ConfirmTrackSettleMultiple)->Arg(100);

}  // namespace
}  // namespace baton::bench
