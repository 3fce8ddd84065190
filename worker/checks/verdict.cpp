#include "worker/checks/check_context.hpp"

#include <cmath>
#include <cstdio>

namespace baton::worker::checks {

std::string short_number(double value) {
  double rounded = std::round(value * 10) / 10;
  char buffer[64];
  if (rounded == std::floor(rounded)) {
    std::snprintf(buffer, sizeof buffer, "%.0f", rounded);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f", rounded);
  }
  return buffer;
}

std::string human_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (std::fabs(bytes) >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  return short_number(bytes) + " " + units[unit];
}

CheckState Verdict::measure(const std::string& label, double value, const std::string& uom,
                            const Thresholds& thresholds, std::optional<double> min, std::optional<double> max) {
  PerfDatum datum;
  datum.label = label;
  // Thresholds see the exact value; perfdata carries three decimals, which
  // is more than any graph needs and keeps 23.022060375062534% out of it.
  datum.value = std::round(value * 1000) / 1000;
  datum.uom = uom;
  if (thresholds.warning) datum.warn = thresholds.warning->numeric_text();
  if (thresholds.critical) datum.crit = thresholds.critical->numeric_text();
  datum.min = min;
  datum.max = max;
  perfdata_.push_back(std::move(datum));

  CheckState state = thresholds.evaluate(value);
  if (state != CheckState::ok) {
    const Range& range = state == CheckState::critical ? *thresholds.critical : *thresholds.warning;
    std::string shown = uom == "B" ? human_bytes(value) : short_number(value) + uom;
    raise(state, label + " " + shown + " (" + (state == CheckState::critical ? "critical" : "warning") + ": " +
                     range.text() + ")");
  }
  return state;
}

void Verdict::raise(CheckState state, const std::string& problem) {
  state_ = worst_of(state_, state);
  problems_.push_back(problem);
}

CheckReport Verdict::report(const std::string& summary) const {
  CheckReport report;
  report.state = state_;
  for (const auto& problem : problems_) {
    if (!report.output.empty()) report.output += ", ";
    report.output += problem;
  }
  if (!summary.empty()) report.output += (report.output.empty() ? "" : " - ") + summary;
  report.perfdata = perfdata_;
  return report;
}

}  // namespace baton::worker::checks
