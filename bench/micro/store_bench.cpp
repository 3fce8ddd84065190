#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/support/heartbeat_fixture.hpp"
#include "common/codec/envelope_codec.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::bench {
namespace {

namespace fs = std::filesystem;

// A conductor database in a fresh temp directory (a real file: WAL,
// synchronous=NORMAL, as the conductor opens it), removed afterwards.
class TempStore {
 public:
  TempStore() {
    std::string tmpl = (fs::temp_directory_path() / "baton-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    dir_ = tmpl;
    auto store = conductor::ConductorStore::open((dir_ / "baton.db").string());
    if (!store) std::abort();
    store_ = std::move(*store);
  }
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  conductor::ConductorStore& operator*() { return *store_; }

 private:
  fs::path dir_;
  std::unique_ptr<conductor::ConductorStore> store_;
};

std::vector<conductor::WorkerRecord> workers(unsigned n) {
  std::vector<conductor::WorkerRecord> out;
  const auto now = SystemClock{}.now();
  for (unsigned i = 0; i < n; ++i) {
    const auto hb = heartbeat_envelope(worker_name(i), 1);
    conductor::WorkerRecord w;
    w.id = worker_name(i);
    w.hostname = hb.worker_heartbeat().hostname();
    w.labels = {"default", "cpu"};
    w.slots = 4;
    w.free_slots = 4;
    w.heartbeat_interval = std::chrono::milliseconds(5000);
    w.online = true;
    w.first_seen = w.last_seen = w.status_changed_at = now;
    w.resources_json = codec::to_json(hb.worker_heartbeat().resources());
    w.resources_pb = hb.worker_heartbeat().resources().SerializeAsString();
    out.push_back(std::move(w));
  }
  return out;
}

// One write per iteration, `per_tx` writes per transaction. `write(n)`
// makes the n-th (from 0) and says whether it did what it should.
template <class Write>
void run_batched(benchmark::State& state, conductor::ConductorStore& store, unsigned per_tx, Write write) {
  uint64_t n = 0;
  for (auto _ : state) {
    if (n % per_tx == 0 && !store.begin_batch()) state.SkipWithError("begin failed");
    if (!write(n++)) state.SkipWithError("write failed");
    if (n % per_tx == 0 && !store.commit_batch()) state.SkipWithError("commit failed");
  }
  (void)store.commit_batch();
  state.SetItemsProcessed(state.iterations());
}

// Upserts of 200 workers' rows (heartbeat-shaped), `per_tx` upserts per
// transaction; one iteration is one upsert.
void run_upserts(benchmark::State& state, unsigned per_tx) {
  TempStore store;
  auto rows = workers(200);
  run_batched(state, *store, per_tx, [&](uint64_t n) {
    auto& w = rows[n % rows.size()];
    w.last_sequence = n + 1;
    return (*store).upsert_worker(w).ok();
  });
}

void BM_StoreUpsertBatched1000(benchmark::State& state) { run_upserts(state, 1000); }
BENCHMARK(BM_StoreUpsertBatched1000);

void BM_StoreUpsertOnePerTransaction(benchmark::State& state) { run_upserts(state, 1); }
BENCHMARK(BM_StoreUpsertOnePerTransaction);

// What the conductor writes per heartbeat of a registered worker: the
// heartbeat's columns over the existing row, 1000 per transaction.
void BM_StoreHeartbeatBatched1000(benchmark::State& state) {
  TempStore store;
  auto rows = workers(200);
  if (!(*store).begin_batch()) state.SkipWithError("begin failed");
  for (const auto& w : rows)
    if (!(*store).upsert_worker(w)) state.SkipWithError("insert failed");
  if (!(*store).commit_batch()) state.SkipWithError("commit failed");
  run_batched(state, *store, 1000, [&](uint64_t n) {
    auto& w = rows[n % rows.size()];
    w.last_sequence = n + 1;
    return (*store).update_worker_heartbeat(w).ok();
  });
}
BENCHMARK(BM_StoreHeartbeatBatched1000);

// What the conductor writes per check result: the history row, then the
// latest state of (worker, check) with its streak; 200 workers with four
// checks each, results one second apart, 1000 per transaction.
void BM_StoreCheckResultBatched1000(benchmark::State& state) {
  TempStore store;
  const std::vector<std::string> checks{"disk_root", "memory", "load", "gpu"};
  const auto start = SystemClock{}.now();
  run_batched(state, *store, 1000, [&](uint64_t n) {
    conductor::CheckResultRecord r;
    r.worker_id = worker_name(static_cast<unsigned>(n % 200));
    r.check = checks[(n / 200) % checks.size()];
    r.type = "disk";
    r.command_id = "bench/" + std::to_string(n);
    r.state = n % 50 == 0 ? conductor::CheckState::warning : conductor::CheckState::ok;
    r.output = "DISK OK - / 41% used (38.2 GiB of 93.1 GiB)";
    r.perfdata_json = R"([{"label":"used","value":41.0,"uom":"%","warn":"80","crit":"90"}])";
    r.duration = std::chrono::milliseconds(3);
    r.at = start + std::chrono::seconds(n);
    auto recorded = (*store).record_check_result(r);
    return recorded && *recorded == conductor::CheckRecorded::latest;
  });
}
BENCHMARK(BM_StoreCheckResultBatched1000);

}  // namespace
}  // namespace baton::bench
