#include "common/amqp/topology_names.hpp"

namespace baton::amqp {

Topology shared_topology() {
  Topology t;
  t.exchanges = {{kCommandsExchange, "topic"}, {kEventsExchange, "topic"}, {kDeadLetterExchange, "topic"}};
  t.queues = {{kDeadQueue, std::nullopt, std::nullopt, std::nullopt}};
  t.bindings = {{kDeadQueue, kDeadLetterExchange, "#"}};
  return t;
}

Topology conductor_topology() {
  Topology t = shared_topology();
  t.queues.push_back({kConductorQueue, kDeadLetterExchange, std::nullopt, std::nullopt});
  t.queues.push_back({kIntakeQueue, kDeadLetterExchange, std::nullopt, std::nullopt});
  t.bindings.push_back({kConductorQueue, kEventsExchange, "event.#"});
  return t;
}

Topology worker_topology(const std::string& worker_id) {
  Topology t = shared_topology();
  t.queues.push_back({worker_queue(worker_id), kDeadLetterExchange, std::nullopt, std::nullopt});
  t.bindings.push_back({worker_queue(worker_id), kCommandsExchange, worker_routing_key(worker_id)});
  return t;
}

}  // namespace baton::amqp
