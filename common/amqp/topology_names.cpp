#include "common/amqp/topology_names.hpp"

namespace baton::amqp {

// The conductor's inbox and the intake queue are in the shared part too: a
// worker that starts before the conductor ever has would otherwise publish
// its registration into an exchange with no queue bound, and the broker
// would drop it.
Topology shared_topology() {
  Topology t;
  t.exchanges = {{kCommandsExchange, "topic"}, {kEventsExchange, "topic"}, {kDeadLetterExchange, "topic"}};
  t.queues = {{kDeadQueue, std::nullopt, std::nullopt, std::nullopt},
              {kConductorQueue, kDeadLetterExchange, std::nullopt, std::nullopt},
              {kIntakeQueue, kDeadLetterExchange, std::nullopt, std::nullopt}};
  t.bindings = {{kDeadQueue, kDeadLetterExchange, "#"}, {kConductorQueue, kEventsExchange, "event.#"}};
  return t;
}

Topology conductor_topology() { return shared_topology(); }

Topology worker_topology(const std::string& worker_id) {
  Topology t = shared_topology();
  t.queues.push_back({worker_queue(worker_id), kDeadLetterExchange, std::nullopt, std::nullopt});
  t.bindings.push_back({worker_queue(worker_id), kCommandsExchange, worker_routing_key(worker_id)});
  return t;
}

}  // namespace baton::amqp
