#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "baton/envelope.pb.h"
#include "common/amqp/transport.hpp"
#include "common/core/clock.hpp"
#include "worker/intake/dir_intake.hpp"

namespace baton::worker {

// Directory intake on its own thread (a large tree must not delay
// heartbeats): scans the watched directories and publishes a SubmitCase to
// baton.intake for each stable new subdirectory, with this worker's queue as
// reply_to so the conductor's answer is logged and kept in the ledger.
class IntakeService {
 public:
  IntakeService(std::vector<DirIntakeConfig> watches, std::string state_dir, std::string worker_id,
                amqp::Transport& transport, const Clock& clock);
  ~IntakeService();

  // Opens <state_dir>/intake.db, publishes what a previous run recorded but
  // never saw confirmed, and starts scanning.
  Status start();
  void stop();
  void on_reply(const v1::IntakeReply& reply);

 private:
  void loop();
  void submit(const IntakeSubmission& submission);

  std::vector<DirIntakeConfig> watches_;
  std::string state_dir_;
  std::string worker_id_;
  amqp::Transport& transport_;
  const Clock& clock_;
  std::unique_ptr<IntakeLedger> ledger_;
  std::unique_ptr<DirIntake> intake_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baton::worker
