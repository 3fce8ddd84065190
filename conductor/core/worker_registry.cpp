#include "conductor/core/worker_registry.hpp"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "common/codec/envelope_codec.hpp"
#include "common/log/logging.hpp"

namespace baton::conductor {

namespace {
// Used until a worker tells us its own interval.
constexpr std::chrono::milliseconds kDefaultHeartbeatInterval{5000};

std::string gpus_to_json(const google::protobuf::RepeatedPtrField<v1::GpuInfo>& gpus) {
  std::string out = "[";
  for (int i = 0; i < gpus.size(); ++i) {
    if (i) out += ",";
    out += codec::to_json(gpus[i]);
  }
  return out + "]";
}
}  // namespace

WorkerRegistry::WorkerRegistry(ConductorStore& store, const Clock& clock, WorkersConfig config)
    : store_(store), clock_(clock), config_(config) {}

Status WorkerRegistry::load() {
  auto all = store_.list_workers();
  if (!all) return all.error();
  workers_.clear();
  for (auto& w : *all) workers_.emplace(w.id, std::move(w));
  excuse_silence_until(clock_.now());
  return {};
}

void WorkerRegistry::excuse_silence_until(TimePoint until) { watch_start_ = std::max(watch_start_, until); }

const WorkerRecord* WorkerRegistry::find(const std::string& id) const {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

WorkerCounts WorkerRegistry::counts() const {
  WorkerCounts c;
  for (const auto& [id, w] : workers_) (w.online ? c.online : c.offline)++;
  return c;
}

WorkerRecord& WorkerRegistry::get_or_create(const std::string& id) {
  auto [it, inserted] = workers_.try_emplace(id);
  if (inserted) {
    it->second.id = id;
    it->second.first_seen = clock_.now();
    it->second.status_changed_at = clock_.now();
    it->second.heartbeat_interval = kDefaultHeartbeatInterval;
  }
  return it->second;
}

TimePoint WorkerRegistry::offline_deadline(const WorkerRecord& w) const {
  const auto interval = w.heartbeat_interval.count() > 0 ? w.heartbeat_interval : kDefaultHeartbeatInterval;
  return std::max(w.last_seen, watch_start_) + interval * config_.missed_heartbeats;
}

Status WorkerRegistry::save(WorkerRecord& worker) { return store_.upsert_worker(worker); }

Status WorkerRegistry::set_online(WorkerRecord& w, bool online, const std::string& reason) {
  if (w.online == online) return {};
  w.online = online;
  w.status_changed_at = clock_.now();
  w.offline_reason = online ? "" : reason;
  if (auto st = store_.append_worker_history(w.id, w.status_changed_at, online, reason); !st) return st;
  auto log = log::logger("core");
  if (online)
    log->info("worker {} is online{}", w.id, reason.empty() ? "" : " (" + reason + ")");
  else
    log->warn("worker {} is offline: {}", w.id, reason);
  if (listener_) listener_(w);
  return {};
}

Status WorkerRegistry::on_register(const v1::WorkerRegister& m) {
  WorkerRecord& w = get_or_create(m.worker_id());
  w.hostname = m.hostname();
  w.version = m.version();
  w.labels.assign(m.labels().begin(), m.labels().end());
  w.slots = m.slots();
  w.free_slots = m.slots();
  if (m.heartbeat_interval_ms() > 0) w.heartbeat_interval = std::chrono::milliseconds(m.heartbeat_interval_ms());
  w.gpus_json = gpus_to_json(m.gpus());
  w.gpu_indices.clear();
  for (const auto& gpu : m.gpus()) w.gpu_indices.push_back(gpu.index());
  w.draining = false;
  w.jobs_left_running = false;
  // A new process numbers its heartbeats from 1 again.
  w.last_sequence = 0;
  w.last_seen = clock_.now();
  if (auto st = set_online(w, true, "registered"); !st) return st;
  return save(w);
}

Status WorkerRegistry::on_heartbeat(const v1::WorkerHeartbeat& m) {
  WorkerRecord& w = get_or_create(m.worker_id());
  if (m.sequence() != 0 && m.sequence() <= w.last_sequence) {
    // A redelivered or republished heartbeat we have already applied.
    return {};
  }
  w.last_sequence = m.sequence();
  if (!m.hostname().empty()) w.hostname = m.hostname();
  if (m.heartbeat_interval_ms() > 0) w.heartbeat_interval = std::chrono::milliseconds(m.heartbeat_interval_ms());
  w.free_slots = m.free_slots();
  w.draining = m.draining();
  w.resources_pb = m.resources().SerializeAsString();
  w.last_seen = clock_.now();
  if (auto st = set_online(w, true, "heartbeat resumed"); !st) return st;
  return store_.update_worker_heartbeat(w);
}

Status WorkerRegistry::on_stopping(const v1::WorkerStopping& m) {
  auto it = workers_.find(m.worker_id());
  if (it == workers_.end()) return {};
  WorkerRecord& w = it->second;
  w.last_seen = clock_.now();
  w.jobs_left_running = m.jobs_left_running();
  if (auto st = set_online(w, false, m.reason().empty() ? "worker stopped" : "worker stopped: " + m.reason()); !st)
    return st;
  return save(w);
}

Result<std::vector<std::string>> WorkerRegistry::sweep() {
  std::vector<std::string> gone;
  const TimePoint now = clock_.now();
  for (auto& [id, w] : workers_) {
    if (!w.online || now < offline_deadline(w)) continue;
    const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - std::max(w.last_seen, watch_start_));
    if (auto st = set_online(w, false,
                             "no heartbeat for " + std::to_string(silent.count()) + " s (" +
                                 std::to_string(config_.missed_heartbeats) + " intervals missed)");
        !st)
      return st.error();
    if (auto st = save(w); !st) return st.error();
    gone.push_back(id);
  }
  return gone;
}

}  // namespace baton::conductor
