#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::worker::checks {

// One item of Nagios performance data: 'label'=value[UOM];warn;crit;min;max.
// warn and crit are range texts ("80", "@10:20"), empty when absent.
struct PerfDatum {
  std::string label;
  double value = 0;
  std::string uom;
  std::string warn;
  std::string crit;
  std::optional<double> min;
  std::optional<double> max;

  bool operator==(const PerfDatum&) const = default;
};

// Plugin output split the Nagios way: text before the first '|' on the first
// line is the summary; later lines are long text until a line with a '|',
// after which everything (the rest of that line and all following lines) is
// perfdata.
struct PluginOutput {
  std::string text;      // summary line, then the long text lines
  std::string perfdata;  // the perfdata parts joined by spaces
};

PluginOutput split_plugin_output(std::string_view output);

// Parses whitespace-separated perfdata items. Items that do not parse (and
// "U" values, which carry no number) are skipped: one odd item from a
// third-party plugin must not lose the others.
std::vector<PerfDatum> parse_perfdata(std::string_view text);

// The inverse of parse_perfdata, so built-ins emit what plugins emit.
// Labels with spaces, quotes or '=' are quoted; trailing empty fields are
// left out.
std::string format_perfdatum(const PerfDatum& datum);
std::string format_perfdata(const std::vector<PerfDatum>& data);

// The shortest text that reads back as the same double ("93.5", "1e+21").
std::string format_number(double value);

}  // namespace baton::worker::checks
