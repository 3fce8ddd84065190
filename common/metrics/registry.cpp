#include "common/metrics/registry.hpp"

#include <algorithm>

#include "common/log/logging.hpp"
#include "common/metrics/exposition.hpp"

namespace baton::metrics {

template <class Metric>
Family<Metric>& Registry::add_family(const std::string& name, const std::string& help, MetricType type,
                                     std::vector<std::string> label_names, std::vector<double> buckets) {
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name '" + name + "'");
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (!valid_label_name(label_names[i]))
      throw std::invalid_argument("metric " + name + ": bad label name '" + label_names[i] + "'");
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i), label_names[i]) !=
        label_names.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument("metric " + name + ": label '" + label_names[i] + "' given twice");
  }
  std::lock_guard lock(mu_);
  if (const auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<Family<Metric>*>(it->second.get());
    if (!existing || existing->type() != type || existing->label_names() != label_names ||
        existing->buckets() != buckets)
      throw std::invalid_argument("metric " + name + " is already registered with another type, labels or buckets");
    return *existing;
  }
  auto family = std::make_unique<Family<Metric>>(name, help, type, std::move(label_names), std::move(buckets));
  auto& out = *family;
  families_.emplace(name, std::move(family));
  return out;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  if (!name.ends_with("_total")) throw std::invalid_argument("counter " + name + " must end in _total");
  return add_family<Counter>(name, help, MetricType::counter, std::move(label_names), {});
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
  return add_family<Gauge>(name, help, MetricType::gauge, std::move(label_names), {});
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names, std::vector<double> buckets) {
  if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end())
    throw std::invalid_argument("histogram " + name + " cannot have a label named le");
  for (const auto suffix : {"_bucket", "_sum", "_count"})
    if (name.ends_with(suffix)) throw std::invalid_argument("histogram " + name + " must not end in " + suffix);
  Histogram check(buckets);  // throws on bounds that are not finite and increasing
  return add_family<Histogram>(name, help, MetricType::histogram, std::move(label_names), std::move(buckets));
}

void Registry::add_collector(Collector collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::vector<FamilySnapshot> Registry::collect() const {
  std::vector<FamilySnapshot> out;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, family] : families_) out.push_back(family->snapshot());
    collectors = collectors_;
  }
  // Outside the lock: a collector may read a database and take its time.
  for (const auto& collector : collectors) {
    Collection collection;
    try {
      collector(collection);
    } catch (const std::exception& e) {
      log::logger("metrics")->error("a metrics collector failed: {}", e.what());
      continue;
    }
    for (auto& family : std::move(collection).take()) out.push_back(std::move(family));
  }
  return merge_families(std::move(out));
}

}  // namespace baton::metrics
