#include "conductor/core/conductor_metrics.hpp"

#include "common/metrics/metric.hpp"

namespace baton::conductor {

ConductorMetrics::ConductorMetrics(metrics::Registry& r)
    : events_consumed(r.counter("baton_events_consumed_total", "Events applied from the conductor's queues, by kind.",
                                {"kind"})),
      events_rejected(r.counter("baton_events_rejected_total",
                                "Events not applied (dead-lettered or requeued), by reason.", {"reason"})),
      event_processing(r.histogram("baton_event_processing_seconds", "Time to apply one event in the core.", {},
                                   metrics::latency_seconds_buckets())),
      publish_confirm(r.histogram("baton_publish_confirm_seconds", "Publish to broker confirm.", {},
                                  metrics::latency_seconds_buckets())),
      cases_finished(r.counter("baton_cases_finished_total", "Cases that ended, by status.", {"status"})),
      case_duration(r.histogram("baton_case_duration_seconds", "Submission to end of a case.", {},
                                metrics::duration_seconds_buckets())),
      step_duration(r.histogram("baton_step_duration_seconds", "Run time of a step's job, by outcome.", {"outcome"},
                                metrics::duration_seconds_buckets())),
      steps_started(r.counter("baton_steps_started_total",
                              "Job starts recorded, by the event that reported them (a short job's "
                              "step_finished may stand for its step_started).",
                              {"reported_by"})),
      check_results(r.counter("baton_check_results_total", "Check results recorded, by state.", {"state"})),
      notifications(r.counter("baton_notifications_total", "Notification attempts, by channel and outcome.",
                              {"channel", "outcome"})),
      escalations(r.counter("baton_escalations_total", "Alerts escalated to a level.", {"level"})),
      remediations(r.counter("baton_remediations_total", "Remediation runs that ended, by action and outcome.",
                             {"action", "outcome"})) {}

void ConductorMetrics::add_transport(metrics::Registry& registry, const amqp::TransportStats& stats) {
  registry.add_collector([&stats](metrics::Collection& c) {
    c.counter("baton_broker_reconnects_total", "Reconnects to the broker.", {}, static_cast<double>(stats.reconnects));
    c.counter("baton_dead_letters_total", "Messages the conductor dead-lettered with a reason.", {},
              static_cast<double>(stats.dead_lettered));
    c.counter("baton_messages_published_total", "Messages published (commands, replies).", {},
              static_cast<double>(stats.published));
    c.counter("baton_messages_confirmed_total", "Publishes the broker confirmed.", {},
              static_cast<double>(stats.confirmed));
    c.counter("baton_messages_delivered_total", "Messages delivered to the conductor.", {},
              static_cast<double>(stats.delivered));
  });
}

}  // namespace baton::conductor
