#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/core/result.hpp"

namespace baton::amqp {

struct BrokerSettings {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string vhost = "/";
  std::string user = "guest";
  std::string password = "guest";
  std::chrono::seconds heartbeat{10};
  uint16_t prefetch = 200;
  uint64_t max_message_bytes = 1 << 20;
  std::chrono::milliseconds reconnect_initial{200};
  std::chrono::milliseconds reconnect_max{10'000};
  // Every message this process publishes survives a broker restart
  // (delivery mode 2). Off, the broker keeps the recoverable ones in memory
  // only (OutgoingMessage::recoverable: step commands and events, heartbeats,
  // registrations, scheduled checks and their results): about half its work
  // per case (docs/BENCHMARKS.md). After a restart the workers' registration
  // and the conductor's reconcile recover the steps whose messages were lost;
  // check results in flight are gone until the next run. Submissions,
  // cancels, one-off checks, maintenance and the dead letters Baton writes
  // stay persistent (a message the broker dead-letters itself, such as an
  // expired check request, keeps the mode it was sent with).
  bool persistent_messages = true;
  // Shown as the connection name in the management UI.
  std::string connection_name = "baton";
};

// amqp://user:password@host:port/vhost (vhost percent-encoded, "/" is %2f).
// Fills host, port, vhost, user and password of `base`; the rest stays.
Result<BrokerSettings> apply_amqp_url(BrokerSettings base, const std::string& url);

// For logs: the URL with the password left out.
std::string redacted_url(const BrokerSettings& settings);

}  // namespace baton::amqp
