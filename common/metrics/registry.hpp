#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics/family.hpp"

namespace baton::metrics {

// Fills a Collection at scrape time; runs on the scraping thread.
using Collector = std::function<void(Collection&)>;

// The metrics of one process. Thread-safe: families are registered at start-up,
// updated from any thread, and collected by whoever serves /metrics.
//
// Registering a name again with the same type and label names returns the
// family already there, so two components may share one. Anything else that
// does not fit Prometheus' rules (a bad name, a counter not ending in _total,
// the same name with another type or labels, "le" on a histogram) is a bug
// and throws std::invalid_argument.
class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                               std::vector<double> buckets);

  // Collectors run on every collect(), in the order they were added. One that
  // throws is logged and skipped; the rest of the scrape still happens.
  void add_collector(Collector collector);

  // Every family, registered and collected, sorted by name.
  std::vector<FamilySnapshot> collect() const;

 private:
  template <class Metric>
  Family<Metric>& add_family(const std::string& name, const std::string& help, MetricType type,
                             std::vector<std::string> label_names, std::vector<double> buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::vector<Collector> collectors_;
};

}  // namespace baton::metrics
