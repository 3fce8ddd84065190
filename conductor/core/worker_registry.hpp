#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "baton/events.pb.h"
#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/config.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

// Which workers exist and whether they are alive. Runs on the core strand;
// every change is written through the store inside the caller's batch.
class WorkerRegistry {
 public:
  using StatusListener = std::function<void(const WorkerRecord&)>;

  WorkerRegistry(ConductorStore& store, const Clock& clock, WorkersConfig config);

  // Loads the workers from the database. Workers recorded online get a fresh
  // grace period from now: the conductor was away, not they.
  Status load();

  Status on_register(const v1::WorkerRegister& message);
  Status on_heartbeat(const v1::WorkerHeartbeat& message);
  Status on_stopping(const v1::WorkerStopping& message);
  // Marks workers offline whose heartbeats stopped; returns their ids.
  Result<std::vector<std::string>> sweep();
  // The conductor could not hear anyone before `until` (see Hearing): every
  // worker's silence is counted from then at the earliest.
  void excuse_silence_until(TimePoint until);

  const WorkerRecord* find(const std::string& id) const;
  const std::map<std::string, WorkerRecord>& all() const { return workers_; }
  WorkerCounts counts() const;
  void set_status_listener(StatusListener listener) { listener_ = std::move(listener); }

 private:
  Status save(WorkerRecord& worker);
  Status set_online(WorkerRecord& worker, bool online, const std::string& reason);
  TimePoint offline_deadline(const WorkerRecord& worker) const;
  WorkerRecord& get_or_create(const std::string& id);

  ConductorStore& store_;
  const Clock& clock_;
  WorkersConfig config_;
  std::map<std::string, WorkerRecord> workers_;
  // Silence is counted from the later of last_seen and this.
  TimePoint watch_start_{};
  StatusListener listener_;
};

}  // namespace baton::conductor
