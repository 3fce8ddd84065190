#include "common/metrics/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "common/log/logging.hpp"
#include "common/metrics/registry.hpp"

namespace baton::metrics {

namespace {

// The labels a histogram child is known by: all but le.
LabelPairs without_le(const LabelPairs& labels) {
  LabelPairs out;
  for (const auto& pair : labels)
    if (pair.first != "le") out.push_back(pair);
  return out;
}

// Histogram lines in a child stay in the order they were produced (buckets
// by bound, then _sum, _count), so children are sorted as groups. A sample
// reported twice (a registered metric and a collector both giving it) would
// make Prometheus reject the whole scrape, so only the first one is kept.
void sort_samples(FamilySnapshot& family) {
  if (family.type != MetricType::histogram) {
    std::stable_sort(family.samples.begin(), family.samples.end(),
                     [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
    const auto duplicate =
        std::unique(family.samples.begin(), family.samples.end(),
                    [](const Sample& a, const Sample& b) { return a.suffix == b.suffix && a.labels == b.labels; });
    if (duplicate != family.samples.end())
      log::logger("metrics")->warn("metric {} reported the same labels twice; keeping the first", family.name);
    family.samples.erase(duplicate, family.samples.end());
    return;
  }
  std::map<LabelPairs, std::vector<Sample>> children;
  bool dropped = false;
  for (auto& sample : family.samples) {
    auto& child = children[without_le(sample.labels)];
    const bool complete = std::any_of(child.begin(), child.end(), [](const Sample& s) { return s.suffix == "_count"; });
    if (complete) {
      dropped = true;
      continue;
    }
    child.push_back(std::move(sample));
  }
  if (dropped)
    log::logger("metrics")->warn("histogram {} reported the same labels twice; keeping the first", family.name);
  family.samples.clear();
  for (auto& [labels, samples] : children)
    for (auto& sample : samples) family.samples.push_back(std::move(sample));
}

void append_labels(std::string& out, const LabelPairs& labels) {
  if (labels.empty()) return;
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += escape_label_value(labels[i].second);
    out += '"';
  }
  out += '}';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : "NaN";
}

std::string format_bound(double bound) { return format_value(bound); }

std::vector<FamilySnapshot> merge_families(std::vector<FamilySnapshot> families) {
  std::map<std::string, FamilySnapshot> by_name;
  for (auto& family : families) {
    auto [it, inserted] = by_name.try_emplace(family.name, FamilySnapshot{family.name, family.help, family.type, {}});
    auto& target = it->second;
    if (target.type != family.type) {
      log::logger("metrics")->error("metric {} reported as {} and as {}; keeping the {}", family.name,
                                    to_string(target.type), to_string(family.type), to_string(target.type));
      continue;
    }
    if (target.help.empty()) target.help = family.help;
    for (auto& sample : family.samples) target.samples.push_back(std::move(sample));
  }
  std::vector<FamilySnapshot> out;
  out.reserve(by_name.size());
  for (auto& [name, family] : by_name) {
    sort_samples(family);
    out.push_back(std::move(family));
  }
  return out;
}

std::string render(std::vector<FamilySnapshot> families) {
  std::string out;
  for (const auto& family : merge_families(std::move(families))) {
    out += "# HELP " + family.name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + family.name + " " + to_string(family.type) + "\n";
    for (const auto& sample : family.samples) {
      out += family.name;
      out += sample.suffix;
      append_labels(out, sample.labels);
      out += ' ';
      out += format_value(sample.value);
      out += '\n';
    }
  }
  return out;
}

std::string render(const Registry& registry) { return render(registry.collect()); }

}  // namespace baton::metrics
