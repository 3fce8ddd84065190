#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

#include "common/metrics/exposition.hpp"
#include "common/metrics/registry.hpp"
#include "tests/unit/metrics/exposition_parser.hpp"

namespace baton::metrics {
namespace {

using testing::parse_exposition;
using testing::sample_value;

TEST(MetricsRegistryTest, RendersEveryTypeInAFormatTheStrictParserAccepts) {
  Registry registry;
  registry.counter("baton_events_consumed_total", "Events taken from the broker.", {"kind"}).with({"heartbeat"}).inc(3);
  registry.gauge("baton_queue_depth", "Messages waiting.").with().set(-2.5);
  auto& latency = registry.histogram("baton_confirm_latency_seconds", "Publish to confirm.", {"queue"}, {0.1, 1});
  latency.with({"a"}).observe(0.05);
  latency.with({"a"}).observe(0.1);  // le is inclusive
  latency.with({"a"}).observe(7.0);
  latency.with({"b"}).observe(std::chrono::milliseconds(500));

  const auto text = render(registry);
  auto parsed = parse_exposition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << text;
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0].name, "baton_confirm_latency_seconds");  // sorted by name
  EXPECT_EQ(sample_value(*parsed, "baton_events_consumed_total", {{"kind", "heartbeat"}}).value(), 3);
  EXPECT_EQ(sample_value(*parsed, "baton_queue_depth").value(), -2.5);
  EXPECT_EQ(sample_value(*parsed, "baton_confirm_latency_seconds_bucket", {{"queue", "a"}, {"le", "0.1"}}).value(), 2);
  EXPECT_EQ(sample_value(*parsed, "baton_confirm_latency_seconds_bucket", {{"queue", "a"}, {"le", "1"}}).value(), 2);
  EXPECT_EQ(sample_value(*parsed, "baton_confirm_latency_seconds_bucket", {{"queue", "a"}, {"le", "+Inf"}}).value(), 3);
  EXPECT_DOUBLE_EQ(sample_value(*parsed, "baton_confirm_latency_seconds_sum", {{"queue", "a"}}).value(), 7.15);
  EXPECT_EQ(sample_value(*parsed, "baton_confirm_latency_seconds_count", {{"queue", "b"}}).value(), 1);
  EXPECT_NE(text.find("# TYPE baton_confirm_latency_seconds histogram\n"), std::string::npos);
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelpSoTheyReadBack) {
  Registry registry;
  const std::string nasty = "C:\\path \"quoted\"\nnext line";
  registry.gauge("baton_odd", "Help with \\ and\na newline.", {"v"}).with({nasty}).set(1);
  const auto text = render(registry);
  EXPECT_NE(text.find(R"(v="C:\\path \"quoted\"\nnext line")"), std::string::npos) << text;
  auto parsed = parse_exposition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ((*parsed)[0].help, "Help with \\ and\na newline.");
  EXPECT_EQ((*parsed)[0].samples.at(0).labels.at("v"), nasty);
}

TEST(MetricsRegistryTest, OutputIsStableAndSortedByLabels) {
  Registry registry;
  auto& family = registry.gauge("baton_x", "x", {"k"});
  family.with({"b"}).set(2);
  family.with({"a"}).set(1);
  const auto first = render(registry);
  EXPECT_LT(first.find("k=\"a\""), first.find("k=\"b\""));
  EXPECT_EQ(first, render(registry));
}

TEST(MetricsRegistryTest, WithReturnsTheSameChildEveryTime) {
  Registry registry;
  auto& family = registry.counter("baton_c_total", "c", {"a"});
  auto& child = family.with({"x"});
  EXPECT_EQ(&child, &family.with({"x"}));
  EXPECT_NE(&child, &family.with({"y"}));
  EXPECT_EQ(&family, &registry.counter("baton_c_total", "c", {"a"}));  // same registration shares the family
}

TEST(MetricsRegistryTest, RefusesWhatPrometheusWouldNot) {
  Registry registry;
  EXPECT_THROW(registry.counter("baton_events", "no _total suffix"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("9lives", "bad name"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("baton_g", "bad label", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("baton_h_seconds", "le label", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("baton_h_seconds", "unsorted", {}, {2, 1}), std::invalid_argument);
  registry.gauge("baton_g", "g", {"a"});
  EXPECT_THROW(registry.gauge("baton_g", "g", {"b"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("baton_g_total", "g").with({"extra"}), std::invalid_argument);
}

TEST(MetricsRegistryTest, CollectorsAddScrapeTimeValuesAndAFailingOneIsSkipped) {
  Registry registry;
  int scrapes = 0;
  registry.add_collector([&scrapes](Collection& out) {
    ++scrapes;
    out.gauge("baton_cases", "Cases by status.", {{"status", "QUEUED"}}, 4);
    out.gauge("baton_cases", "Cases by status.", {{"status", "EXECUTING"}}, 1);
  });
  registry.add_collector([](Collection&) { throw std::runtime_error("database gone"); });
  registry.add_collector([](Collection& out) { out.counter("baton_bad", "no suffix", {}, 1); });

  auto parsed = parse_exposition(render(registry));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(scrapes, 1);
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(sample_value(*parsed, "baton_cases", {{"status", "QUEUED"}}).value(), 4);
  EXPECT_EQ((*parsed)[0].samples.front().labels.at("status"), "EXECUTING");
}

TEST(MetricsRegistryTest, ASampleReportedTwiceIsRenderedOnce) {
  Registry registry;
  registry.gauge("baton_workers", "Workers.", {"state"}).with({"online"}).set(2);
  registry.histogram("baton_h_seconds", "h", {}, {1}).with().observe(0.5);
  registry.add_collector([](Collection& out) {
    out.gauge("baton_workers", "Workers.", {{"state", "online"}}, 5);
    out.gauge("baton_workers", "Workers.", {{"state", "offline"}}, 1);
  });
  FamilySnapshot again{"baton_h_seconds",
                       "h",
                       MetricType::histogram,
                       {{"_bucket", {{"le", "+Inf"}}, 9}, {"_sum", {}, 9}, {"_count", {}, 9}}};
  auto families = registry.collect();
  families.push_back(again);
  auto parsed = parse_exposition(render(std::move(families)));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(sample_value(*parsed, "baton_workers", {{"state", "online"}}).value(), 2);
  EXPECT_EQ(sample_value(*parsed, "baton_workers", {{"state", "offline"}}).value(), 1);
  EXPECT_EQ(sample_value(*parsed, "baton_h_seconds_count").value(), 1);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  auto& counter = registry.counter("baton_n_total", "n").with();
  auto& histogram = registry.histogram("baton_d_seconds", "d", {}, {1}).with();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        histogram.observe(i % 2 ? 0.5 : 2.0);
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 40000);
  const auto snap = histogram.snapshot();
  EXPECT_EQ(snap.cumulative.at(0), 20000u);
  EXPECT_EQ(snap.count(), 40000u);
}

TEST(MetricsRegistryTest, FormatsSpecialValues) {
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

}  // namespace
}  // namespace baton::metrics
