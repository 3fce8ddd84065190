#include <benchmark/benchmark.h>

#include "bench/support/heartbeat_fixture.hpp"
#include "common/codec/envelope_codec.hpp"

namespace baton::bench {
namespace {

void BM_HeartbeatEncodeProtobuf(benchmark::State& state) {
  const auto envelope = heartbeat_envelope("bench-w0001", 42);
  for (auto _ : state) benchmark::DoNotOptimize(codec::encode(envelope));
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(codec::encode(envelope).size());
}
BENCHMARK(BM_HeartbeatEncodeProtobuf);

void BM_HeartbeatDecodeProtobuf(benchmark::State& state) {
  const std::string body = codec::encode(heartbeat_envelope("bench-w0001", 42));
  for (auto _ : state) {
    auto decoded = codec::decode(body, codec::kProtobuf);
    if (!decoded) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeartbeatDecodeProtobuf);

void BM_HeartbeatEncodeJson(benchmark::State& state) {
  const auto envelope = heartbeat_envelope("bench-w0001", 42);
  for (auto _ : state) benchmark::DoNotOptimize(codec::to_json(envelope));
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(codec::to_json(envelope).size());
}
BENCHMARK(BM_HeartbeatEncodeJson);

void BM_HeartbeatDecodeJson(benchmark::State& state) {
  const std::string body = codec::to_json(heartbeat_envelope("bench-w0001", 42));
  for (auto _ : state) {
    auto decoded = codec::decode(body, codec::kJson);
    if (!decoded) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeartbeatDecodeJson);

// What the API does for each worker it returns: the stored Resources bytes
// rendered as JSON (heartbeats themselves store the bytes).
void BM_HeartbeatResourcesToJson(benchmark::State& state) {
  const auto envelope = heartbeat_envelope("bench-w0001", 42);
  for (auto _ : state) benchmark::DoNotOptimize(codec::to_json(envelope.worker_heartbeat().resources()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeartbeatResourcesToJson);

}  // namespace
}  // namespace baton::bench
