#include "worker/status_reporter.hpp"

#include <unistd.h>

#include <google/protobuf/util/time_util.h>

#include "common/codec/envelope_codec.hpp"

namespace baton::worker {

std::string short_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  std::string name(buf);
  return name.substr(0, name.find('.'));
}

StatusReporter::StatusReporter(const WorkerConfig& config, std::string hostname)
    : config_(config), hostname_(std::move(hostname)), sender_("worker." + config.id) {}

void StatusReporter::set_gpus(GpuSnapshot snapshot) {
  std::lock_guard lock(gpu_mu_);
  gpus_ = std::move(snapshot);
}

v1::Envelope StatusReporter::registration(TimePoint now) const {
  v1::Envelope e;
  auto* r = e.mutable_worker_register();
  r->set_worker_id(config_.id);
  r->set_hostname(hostname_);
  r->set_version(BATON_VERSION);
  for (const auto& label : config_.labels) r->add_labels(label);
  r->set_slots(config_.slots);
  r->set_heartbeat_interval_ms(static_cast<uint32_t>(config_.heartbeat_interval.count()));
  r->set_pid(static_cast<uint32_t>(::getpid()));
  *r->mutable_started_at() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(to_unix_ms(now));
  {
    std::lock_guard lock(gpu_mu_);
    for (const auto& gpu : gpus_.info) *r->add_gpus() = gpu;
  }
  codec::stamp(e, sender_, now);
  return e;
}

v1::Envelope StatusReporter::heartbeat(v1::Resources resources, unsigned free_slots, TimePoint now, bool draining) {
  v1::Envelope e;
  auto* h = e.mutable_worker_heartbeat();
  h->set_worker_id(config_.id);
  h->set_sequence(++sequence_);
  h->set_heartbeat_interval_ms(static_cast<uint32_t>(config_.heartbeat_interval.count()));
  h->set_free_slots(free_slots);
  h->set_draining(draining);
  h->set_hostname(hostname_);
  {
    std::lock_guard lock(gpu_mu_);
    for (const auto& gpu : gpus_.status) *resources.add_gpus() = gpu;
  }
  *h->mutable_resources() = std::move(resources);
  codec::stamp(e, sender_, now);
  return e;
}

v1::Envelope StatusReporter::stopping(const std::string& reason, bool jobs_left_running, TimePoint now) const {
  v1::Envelope e;
  auto* s = e.mutable_worker_stopping();
  s->set_worker_id(config_.id);
  s->set_reason(reason);
  s->set_jobs_left_running(jobs_left_running);
  codec::stamp(e, sender_, now);
  return e;
}

}  // namespace baton::worker
