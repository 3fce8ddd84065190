#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/metrics/snapshot.hpp"

namespace baton::metrics {

class Registry;

// The Content-Type of the text exposition format 0.0.4.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Families merged by name and sorted: families by name, samples by label
// values (a histogram keeps each child's buckets, _sum, _count together).
// Samples of a family that reappears with another type are dropped and
// logged, so one careless collector cannot make the whole scrape invalid.
std::vector<FamilySnapshot> merge_families(std::vector<FamilySnapshot> families);

// The text exposition format 0.0.4: # HELP, # TYPE, then the samples, of
// the families merged and sorted as merge_families() does.
std::string render(std::vector<FamilySnapshot> families);
std::string render(const Registry& registry);

// Escaping as the format defines it: label values escape \ " and newline,
// HELP text escapes \ and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view text);
// Shortest text that reads back as the same double; +Inf, -Inf, NaN.
std::string format_value(double value);

}  // namespace baton::metrics
