#pragma once

#include "common/amqp/transport_stats.hpp"
#include "common/metrics/registry.hpp"

namespace baton::conductor {

// The conductor's own metrics, registered once; the components are told
// about them through the app's listeners, so the core stays free of them.
// Names follow config/prometheus/baton-rules.yml and the Grafana dashboard.
struct ConductorMetrics {
  explicit ConductorMetrics(metrics::Registry& registry);

  metrics::Family<metrics::Counter>& events_consumed;       // {kind}
  metrics::Family<metrics::Counter>& events_rejected;       // {reason}
  metrics::Family<metrics::Histogram>& event_processing;    // apply time per event
  metrics::Family<metrics::Histogram>& publish_confirm;     // publish → broker confirm
  metrics::Family<metrics::Counter>& cases_finished;        // {status}
  metrics::Family<metrics::Histogram>& case_duration;       // submit → end
  metrics::Family<metrics::Histogram>& step_duration;       // {outcome}, as the worker measured it
  metrics::Family<metrics::Counter>& steps_started;         // {reported_by}: step_started | step_finished
  metrics::Family<metrics::Counter>& check_results;         // {state}
  metrics::Family<metrics::Counter>& notifications;         // {channel,outcome}
  metrics::Family<metrics::Counter>& escalations;           // {level}
  metrics::Family<metrics::Counter>& remediations;          // {action,outcome}

  // Scrape-time counters from the transport: reconnects, dead letters,
  // published and confirmed messages. `stats` must outlive the registry's use.
  void add_transport(metrics::Registry& registry, const amqp::TransportStats& stats);
};

}  // namespace baton::conductor
