#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.hpp"

namespace baton::metrics::testing {

struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped
  double value = 0.0;
};

struct ParsedFamily {
  std::string name;
  std::string help;  // unescaped
  std::string type;
  std::vector<ParsedSample> samples;
};

// A strict reader of the Prometheus text format 0.0.4 as Baton writes it,
// stricter than Prometheus itself so the tests catch what a lenient scraper
// would forgive: every family has # HELP then # TYPE before its samples and
// appears in one block; sample names belong to their family; label syntax and
// escapes (\\ \" \n only) are exact; counters end in _total and are not
// negative; every histogram child has increasing le bounds, non-decreasing
// cumulative counts, a +Inf bucket equal to _count, and a _sum. Errors are
// Errc::decode with "line N: why".
Result<std::vector<ParsedFamily>> parse_exposition(std::string_view text);

// The value of the one sample with this name and exactly these labels.
Result<double> sample_value(const std::vector<ParsedFamily>& families, const std::string& name,
                            const std::map<std::string, std::string>& labels = {});

}  // namespace baton::metrics::testing
