#include "tests/unit/metrics/exposition_parser.hpp"

#include <gtest/gtest.h>

namespace baton::metrics::testing {
namespace {

constexpr const char* kValid =
    "# HELP baton_jobs_total Jobs run.\n"
    "# TYPE baton_jobs_total counter\n"
    "baton_jobs_total{worker=\"w\\\"1\\\\\\n\"} 3\n"
    "# HELP baton_latency_seconds Latency.\n"
    "# TYPE baton_latency_seconds histogram\n"
    "baton_latency_seconds_bucket{le=\"0.5\"} 1\n"
    "baton_latency_seconds_bucket{le=\"+Inf\"} 2\n"
    "baton_latency_seconds_sum 1.75\n"
    "baton_latency_seconds_count 2\n";

std::string error_of(const std::string& text) {
  auto parsed = parse_exposition(text);
  return parsed ? "" : parsed.error().message;
}

TEST(ExpositionParserTest, ReadsAValidExpositionAndUnescapesLabels) {
  auto parsed = parse_exposition(kValid);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].type, "counter");
  EXPECT_EQ((*parsed)[0].samples.at(0).labels.at("worker"), "w\"1\\\n");
  EXPECT_EQ(sample_value(*parsed, "baton_latency_seconds_sum").value(), 1.75);
}

TEST(ExpositionParserTest, RejectsMalformedLines) {
  const std::string head = "# HELP m_total h\n# TYPE m_total counter\n";
  EXPECT_NE(error_of(head + "m_total 1"), "");                           // no final newline
  EXPECT_NE(error_of(head + "m_total{a=\"x\"\n"), "");                   // labels not closed
  EXPECT_NE(error_of(head + "m_total{a=x} 1\n"), "");                    // unquoted value
  EXPECT_NE(error_of(head + "m_total{a=\"\\t\"} 1\n"), "");              // unknown escape
  EXPECT_NE(error_of(head + "m_total{a=\"1\",} 1\n"), "");               // trailing comma
  EXPECT_NE(error_of(head + "m_total{a=\"1\",a=\"2\"} 1\n"), "");        // label twice
  EXPECT_NE(error_of(head + "m_total{__a=\"1\"} 1\n"), "");              // reserved label name
  EXPECT_NE(error_of(head + "m_total one\n"), "");                       // bad value
  EXPECT_NE(error_of(head + "m_total 1 soon\n"), "");                    // bad timestamp
  EXPECT_NE(error_of(head + "m_total -1\n"), "");                        // negative counter
  EXPECT_NE(error_of(head + "\n"), "");                                  // blank line
  EXPECT_NE(error_of(head + "other_total 1\n"), "");                     // sample of another family
  EXPECT_NE(error_of(head + "m_total 1\nm_total 2\n"), "");              // duplicate sample
  EXPECT_EQ(error_of(head + "m_total{a=\"1\"} 1 1700000000000\n"), "");  // a timestamp is fine
}

TEST(ExpositionParserTest, ChecksHelpAndTypeOrder) {
  EXPECT_NE(error_of("# TYPE m gauge\n# HELP m h\nm 1\n"), "");
  EXPECT_NE(error_of("# HELP m h\nm 1\n"), "");
  EXPECT_NE(error_of("# HELP m h\n# HELP m h\n# TYPE m gauge\n"), "");
  EXPECT_NE(error_of("# HELP m h\n# TYPE m gauge\n# TYPE m gauge\n"), "");
  EXPECT_NE(error_of("# HELP m h\n# TYPE m gauge\nm 1\n# HELP n h\n# TYPE n gauge\n# HELP m h\n"), "");
  EXPECT_NE(error_of("# HELP m h\n# TYPE m counter\nm 1\n"), "");  // counter not ending in _total
  EXPECT_NE(error_of("# HELP m h\n# TYPE m stuff\n"), "");
}

TEST(ExpositionParserTest, ChecksHistogramInvariants) {
  const std::string head = "# HELP h h\n# TYPE h histogram\n";
  EXPECT_EQ(error_of(head + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"), "");
  EXPECT_NE(error_of(head + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n"), "");
  EXPECT_NE(
      error_of(head + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"), "");
  EXPECT_NE(error_of(head + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"), "");               // no +Inf
  EXPECT_NE(error_of(head + "h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 3\n"), "");            // +Inf != _count
  EXPECT_NE(error_of(head + "h_bucket{le=\"+Inf\"} 2\nh_count 2\n"), "");                     // no _sum
  EXPECT_NE(error_of(head + "h_bucket 2\nh_sum 3\nh_count 2\n"), "");                         // no le
  EXPECT_NE(error_of(head + "h_bucket{le=\"+Inf\"} 1\nh_sum{le=\"1\"} 1\nh_count 1\n"), "");  // le on _sum
}

}  // namespace
}  // namespace baton::metrics::testing
