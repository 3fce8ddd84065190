#pragma once

#include <utility>
#include <vector>

#include "common/amqp/transport.hpp"

namespace baton::conductor {

// Commands to workers wait here until the write batch that decided them is
// committed: a worker must never act on a command the database could still
// roll back (a RunStep for an attempt, a maintenance run, that was never
// recorded). EventPipeline::flush releases or discards them.
class CommandOutbox {
 public:
  explicit CommandOutbox(amqp::Transport& transport) : transport_(transport) {}

  void add(amqp::OutgoingMessage message, amqp::PublishCallback done) {
    pending_.emplace_back(std::move(message), std::move(done));
  }
  void release() {
    auto pending = std::exchange(pending_, {});
    for (auto& [message, done] : pending) transport_.publish(std::move(message), std::move(done));
  }
  // Returns how many were dropped.
  size_t discard() { return std::exchange(pending_, {}).size(); }

 private:
  amqp::Transport& transport_;
  std::vector<std::pair<amqp::OutgoingMessage, amqp::PublishCallback>> pending_;
};

}  // namespace baton::conductor
