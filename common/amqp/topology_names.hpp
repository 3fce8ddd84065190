#pragma once

#include <string>

#include "common/amqp/transport.hpp"

namespace baton::amqp {

// The names operators see in the management UI (DESIGN.md, Messaging topology).
inline constexpr const char* kCommandsExchange = "baton.commands";
inline constexpr const char* kEventsExchange = "baton.events";
inline constexpr const char* kDeadLetterExchange = "baton.dlx";
inline constexpr const char* kConductorQueue = "baton.conductor";
inline constexpr const char* kIntakeQueue = "baton.intake";
inline constexpr const char* kDeadQueue = "baton.dead";

inline std::string worker_queue(const std::string& worker_id) { return "baton.worker." + worker_id; }
inline std::string worker_routing_key(const std::string& worker_id) { return "worker." + worker_id; }
// event.<kind>.<worker>, e.g. event.heartbeat.gpu-01
inline std::string event_routing_key(const std::string& kind, const std::string& worker_id) {
  return "event." + kind + "." + worker_id;
}

// Exchanges, the dead-letter queue, the conductor's inbox and the intake
// queue: declared by every process, so whichever starts first leaves a
// complete picture and no event is published into the void.
Topology shared_topology();
// The shared part: the conductor declares nothing a worker does not.
Topology conductor_topology();
// The worker's own command queue on top of the shared part.
Topology worker_topology(const std::string& worker_id);

}  // namespace baton::amqp
