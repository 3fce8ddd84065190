#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/metrics/metric.hpp"
#include "common/metrics/snapshot.hpp"

namespace baton::metrics {

// What the registry needs from a family of any metric type.
class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  virtual FamilySnapshot snapshot() const = 0;
  virtual MetricType type() const = 0;
  virtual const std::vector<std::string>& label_names() const = 0;
};

// One metric name with its label names; each combination of label values is
// a child created on first use. with() returns a reference that stays valid
// as long as the registry, so the hot path looks the child up once and then
// only touches atomics.
template <class Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> buckets = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}

  // values line up with the family's label names; a wrong count is a bug in
  // the caller and throws std::invalid_argument.
  Metric& with(const std::vector<std::string>& values = {}) {
    if (values.size() != label_names_.size())
      throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                                  " label values, got " + std::to_string(values.size()));
    {
      std::shared_lock lock(mu_);
      if (const auto it = children_.find(values); it != children_.end()) return *it->second;
    }
    std::unique_lock lock(mu_);
    auto& child = children_[values];
    if (!child) child = make_child();
    return *child;
  }

  FamilySnapshot snapshot() const override {
    FamilySnapshot out{name_, help_, type_, {}};
    std::shared_lock lock(mu_);
    for (const auto& [values, child] : children_) append_samples(out.samples, labels_for(values), *child);
    return out;
  }

  MetricType type() const override { return type_; }
  const std::vector<std::string>& label_names() const override { return label_names_; }
  const std::vector<double>& buckets() const { return buckets_; }

 private:
  std::unique_ptr<Metric> make_child() const {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      return std::make_unique<Histogram>(buckets_);
    } else {
      return std::make_unique<Metric>();
    }
  }

  LabelPairs labels_for(const std::vector<std::string>& values) const {
    LabelPairs out;
    for (size_t i = 0; i < values.size(); ++i) out.emplace_back(label_names_[i], values[i]);
    return out;
  }

  static void append_samples(std::vector<Sample>& out, LabelPairs labels, const Metric& child);

  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// Bucket bounds as the le label shows them.
std::string format_bound(double bound);

template <>
inline void Family<Counter>::append_samples(std::vector<Sample>& out, LabelPairs labels, const Counter& child) {
  out.push_back(Sample{"", std::move(labels), child.value()});
}

template <>
inline void Family<Gauge>::append_samples(std::vector<Sample>& out, LabelPairs labels, const Gauge& child) {
  out.push_back(Sample{"", std::move(labels), child.value()});
}

template <>
inline void Family<Histogram>::append_samples(std::vector<Sample>& out, LabelPairs labels, const Histogram& child) {
  const auto snap = child.snapshot();
  for (size_t i = 0; i < snap.cumulative.size(); ++i) {
    auto with_le = labels;
    with_le.emplace_back("le", i < snap.bounds.size() ? format_bound(snap.bounds[i]) : "+Inf");
    out.push_back(Sample{"_bucket", std::move(with_le), static_cast<double>(snap.cumulative[i])});
  }
  out.push_back(Sample{"_sum", labels, snap.sum});
  out.push_back(Sample{"_count", std::move(labels), static_cast<double>(snap.count())});
}

}  // namespace baton::metrics
