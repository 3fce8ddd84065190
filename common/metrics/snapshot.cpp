#include "common/metrics/snapshot.hpp"

#include <algorithm>
#include <stdexcept>

namespace baton::metrics {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void check_labels(const std::string& metric, const LabelPairs& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!valid_label_name(labels[i].first))
      throw std::invalid_argument("metric " + metric + ": bad label name '" + labels[i].first + "'");
    for (size_t j = 0; j < i; ++j)
      if (labels[j].first == labels[i].first)
        throw std::invalid_argument("metric " + metric + ": label '" + labels[i].first + "' given twice");
  }
}

}  // namespace

const char* to_string(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

bool valid_metric_name(const std::string& name) {
  if (name.empty() || !(is_alpha(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == ':'; });
}

bool valid_label_name(const std::string& name) {
  if (name.empty() || !is_alpha(name[0]) || name.rfind("__", 0) == 0) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alpha(c) || is_digit(c); });
}

void Collection::gauge(const std::string& name, const std::string& help, LabelPairs labels, double value) {
  add(MetricType::gauge, name, help, std::move(labels), value);
}

void Collection::counter(const std::string& name, const std::string& help, LabelPairs labels, double value) {
  if (!name.ends_with("_total")) throw std::invalid_argument("counter " + name + " must end in _total");
  add(MetricType::counter, name, help, std::move(labels), value);
}

void Collection::add(MetricType type, const std::string& name, const std::string& help, LabelPairs labels,
                     double value) {
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name '" + name + "'");
  check_labels(name, labels);
  auto family = std::find_if(families_.begin(), families_.end(), [&](const auto& f) { return f.name == name; });
  if (family == families_.end()) {
    families_.push_back(FamilySnapshot{name, help, type, {}});
    family = std::prev(families_.end());
  } else if (family->type != type) {
    throw std::invalid_argument("metric " + name + " collected as both " + to_string(family->type) + " and " +
                                to_string(type));
  }
  family->samples.push_back(Sample{"", std::move(labels), value});
}

}  // namespace baton::metrics
