#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/format.hpp"
#include "cli/status_command.hpp"
#include "cli/table.hpp"
#include "cli/worker_commands.hpp"

namespace baton::cli {
namespace {

using nlohmann::json;

TEST(Table, AlignsColumnsToTheWidestCell) {
  Table table({"ID", "STATUS", "SLOTS"});
  table.align(2, Table::Align::right);
  table.add_row({"gpu-01", "online", "3/4"});
  table.add_row({"w", "offline", "10/16"});
  EXPECT_EQ(table.render(),
            "ID      STATUS   SLOTS\n"
            "gpu-01  online     3/4\n"
            "w       offline  10/16\n");
}

TEST(Table, PadsShortRowsAndDropsTrailingBlanks) {
  Table table({"A", "B", "C"});
  table.add_row({"x"});
  table.add_row({"y", "z", "w", "extra"});
  EXPECT_EQ(table.rows(), 2u);
  EXPECT_EQ(table.render(),
            "A  B  C\n"
            "x\n"
            "y  z  w\n");
}

TEST(Table, CountsUtf8CharactersNotBytes) {
  Table table({"HOST", "X"});
  table.add_row({"zürich", "1"});
  table.add_row({"basel", "2"});
  EXPECT_EQ(table.render(),
            "HOST    X\n"
            "zürich  1\n"
            "basel   2\n");
}

TEST(TableFormat, Ages) {
  EXPECT_EQ(format_age(0.2), "just now");
  EXPECT_EQ(format_age(3.7), "3s ago");
  EXPECT_EQ(format_age(125), "2m ago");
  EXPECT_EQ(format_age(7300), "2h ago");
  EXPECT_EQ(format_age(3 * 86400 + 5), "3d ago");
  EXPECT_EQ(format_age(-1), "-");
}

TEST(TableFormat, DurationsBytesNumbers) {
  EXPECT_EQ(format_duration(45), "45s");
  EXPECT_EQ(format_duration(200), "3m 20s");
  EXPECT_EQ(format_duration(7500), "2h 5m");
  EXPECT_EQ(format_duration(2 * 86400 + 3 * 3600), "2d 3h");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1.5 * 1024 * 1024 * 1024), "1.5 GiB");
  EXPECT_EQ(format_number(12.345), "12.3");
  EXPECT_EQ(format_number(0.5, 2), "0.50");
  EXPECT_EQ(format_number(std::nullopt), "-");
}

TEST(TableFormat, NumberFieldAcceptsStringsAndCamelCase) {
  const auto resources = json::parse(R"({"memory_total_bytes":"17179869184","cpuPercent":12.5,"load1":"x"})");
  EXPECT_DOUBLE_EQ(*number_field(resources, "memory_total_bytes", "memoryTotalBytes"), 17179869184.0);
  EXPECT_DOUBLE_EQ(*number_field(resources, "cpu_percent", "cpuPercent"), 12.5);
  EXPECT_FALSE(number_field(resources, "load1").has_value());
  EXPECT_FALSE(number_field(resources, "missing").has_value());
  EXPECT_FALSE(number_field(json::array(), "x").has_value());
}

TEST(TableWorkers, RendersResourceColumns) {
  const auto workers = json::parse(R"([
    {"id":"gpu-01","status":"online","hostname":"node1","labels":["gpu","a100"],"slots":4,"free_slots":3,
     "heartbeat_age_seconds":3.2,
     "resources":{"cpu_percent":12.5,"memory_total_bytes":"1000","memory_available_bytes":"250","load1":0.5},
     "gpus":[{"index":0},{"index":1}]},
    {"id":"w2","status":"offline","hostname":"node2","labels":[],"slots":2,"free_slots":0,
     "heartbeat_age_seconds":400,"resources":{},"gpus":[]}
  ])");
  EXPECT_EQ(render_worker_table(workers),
            "ID      STATUS   HOST   LABELS    SLOTS  CPU%  MEM%  LOAD1  GPUS  LAST SEEN\n"
            "gpu-01  online   node1  gpu,a100    3/4  12.5  75.0   0.50     2  3s ago\n"
            "w2      offline  node2  -           0/2     -     -      -     -  6m ago\n");
}

TEST(TableWorkers, DetailsMentionOfflineReason) {
  const auto worker = json::parse(R"({"id":"w2","status":"offline","offline_reason":"missed heartbeats",
    "hostname":"node2","slots":2,"free_slots":0,"resources":{}})");
  const auto text = render_worker_details(worker);
  EXPECT_NE(text.find("offline (missed heartbeats)"), std::string::npos);
  EXPECT_EQ(text.find("FIELD"), std::string::npos);
}

TEST(TableHealth, SummaryAndExitCodes) {
  const auto health = json::parse(R"({"status":"degraded","version":"0.1.0","uptime_seconds":200,
    "components":{"database":{"status":"up"},"broker":{"status":"up"},"workers":{"online":1,"offline":1}},
    "reasons":["1 worker is offline"]})");
  const auto text = render_health(health);
  EXPECT_NE(text.find("conductor is degraded (version 0.1.0, up 3m 20s)"), std::string::npos);
  EXPECT_NE(text.find("1 online, 1 offline"), std::string::npos);
  EXPECT_NE(text.find("  - 1 worker is offline"), std::string::npos);
  EXPECT_EQ(exit_code_for_health(health), 1);
  EXPECT_EQ(exit_code_for_health(json{{"status", "healthy"}}), 0);
  EXPECT_EQ(exit_code_for_health(json{{"status", "unhealthy"}}), 2);
  EXPECT_EQ(exit_code_for_health(json::object()), 2);
}

}  // namespace
}  // namespace baton::cli
