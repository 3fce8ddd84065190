#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "baton/envelope.pb.h"
#include "common/core/clock.hpp"
#include "worker/checks/check_runner.hpp"
#include "worker/maintenance/maintenance_runner.hpp"

namespace baton::worker {

// Runs RunCheck and RunMaintenance commands on a few pool threads (a check
// may block for its whole timeout; the core strand must not) and reports
// each as a CheckResult or MaintenanceResult through `emit`. A request past
// its expiry is answered without running; a command id seen recently (a
// redelivery) is not run again.
class TaskRunner {
 public:
  using Emit = std::function<void(v1::Envelope)>;

  TaskRunner(std::string worker_id, checks::ChecksConfig checks, maintenance::MaintenanceConfig maintenance,
             unsigned threads, const Clock& clock, Emit emit);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  void run_check(const v1::RunCheck& command);
  void run_maintenance(const v1::RunMaintenance& command);
  // Waits for the running tasks; queued ones are dropped (their requests
  // were acked; the schedule sends the next ones).
  void stop();

 private:
  bool seen_before(const std::string& command_id);
  void enqueue(std::function<void()> work);
  void loop();
  v1::CheckResult execute(const v1::RunCheck& command);
  v1::MaintenanceResult execute(const v1::RunMaintenance& command);

  std::string worker_id_;
  checks::CheckRunner checks_;
  maintenance::MaintenanceRunner maintenance_;
  const Clock& clock_;
  Emit emit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::deque<std::string> recent_order_;
  std::set<std::string> recent_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace baton::worker
