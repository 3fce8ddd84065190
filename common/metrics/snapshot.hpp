#pragma once

#include <string>
#include <utility>
#include <vector>

namespace baton::metrics {

enum class MetricType { counter, gauge, histogram };
const char* to_string(MetricType type);  // as the # TYPE line spells it

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

// One exposition line: the family name plus suffix ("", "_bucket", "_sum",
// "_count"), its labels in order, and the value.
struct Sample {
  std::string suffix;
  LabelPairs labels;
  double value = 0.0;
};

// A metric family as one scrape sees it.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<Sample> samples;
};

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names [a-zA-Z_][a-zA-Z0-9_]*
// and not starting with "__" (reserved by Prometheus).
bool valid_metric_name(const std::string& name);
bool valid_label_name(const std::string& name);

// What a scrape-time callback fills: values read at scrape time (rows in the
// database, a queue's depth). Samples of one name are grouped into one family.
// Throws std::invalid_argument on a bad name or a name reused with another
// type; the registry catches that, logs it and skips the callback's output.
class Collection {
 public:
  void gauge(const std::string& name, const std::string& help, LabelPairs labels, double value);
  // name must end in _total.
  void counter(const std::string& name, const std::string& help, LabelPairs labels, double value);

  std::vector<FamilySnapshot> take() && { return std::move(families_); }

 private:
  void add(MetricType type, const std::string& name, const std::string& help, LabelPairs labels, double value);

  std::vector<FamilySnapshot> families_;
};

}  // namespace baton::metrics
