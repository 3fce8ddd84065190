#pragma once

#include <amqp.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "baton/envelope.pb.h"

namespace baton::bench {

[[noreturn]] void die(const std::string& message);

// Wall-clock seconds since the epoch, so bench/run.sh can line our times up
// with the processes it starts.
double epoch_seconds();

// --key value pairs after the subcommand.
class Args {
 public:
  Args(int argc, char** argv);
  std::string str(const std::string& key, const std::string& fallback = "") const;
  std::string required(const std::string& key) const;
  uint64_t num(const std::string& key, uint64_t fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

// The value below which a share `p` (0..1) of `xs` lies: the p-th sample of
// the sorted list (p = 1 gives the largest); 0 for an empty list.
double percentile(std::vector<double> xs, double p);

// One plain rabbitmq-c connection with channel 1 open; errors end the program
// (these are measuring tools, not services).
class BenchConnection {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  BenchConnection(const std::string& url, const std::string& name);
  ~BenchConnection();
  BenchConnection(const BenchConnection&) = delete;
  BenchConnection& operator=(const BenchConnection&) = delete;

  amqp_connection_state_t get() { return conn_; }
  void check_rpc(const std::string& what);

  // baton.events, baton.dlx and baton.conductor declared with the same
  // arguments as conductor_topology(), so the conductor's own declaration
  // later matches.
  void declare_conductor_inbox();
  // baton.intake as conductor_topology() declares it.
  void declare_intake();
  // Ready messages in `queue` (passive queue.declare; unacked ones are not counted).
  uint32_t ready(const std::string& queue);
  void confirm_select();

 private:
  amqp_connection_state_t conn_ = nullptr;
};

// Worker events published as the worker does (persistent protobuf to
// baton.events, routing key event.<kind>.<worker>, the same properties),
// gathered into one buffer of AMQP frames and written with one send(). rabbitmq-c writes every frame with
// its own syscall, three per publish; at 12k msgs/s that made the load
// generator cost most of a core on this VM, taken from the system it loads.
// Only for a connection this thread alone writes to; confirms are read as
// usual.
class PublishBatch {
 public:
  explicit PublishBatch(BenchConnection& conn) : conn_(conn) {}
  void add(const v1::Envelope& envelope, const std::string& worker);
  size_t size() const { return count_; }
  // Writes everything added; ends the program on a socket error.
  void flush();

 private:
  void frame(uint8_t type, const std::string& payload);

  BenchConnection& conn_;
  std::string buffer_;
  size_t count_ = 0;
};

}  // namespace baton::bench
