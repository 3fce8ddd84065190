#include "worker/checks/perfdata.hpp"

#include <gtest/gtest.h>

namespace baton::worker::checks {
namespace {

TEST(PerfdataParseTest, FullItem) {
  auto data = parse_perfdata("/=2643MB;5948;5958;0;5968");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].label, "/");
  EXPECT_DOUBLE_EQ(data[0].value, 2643);
  EXPECT_EQ(data[0].uom, "MB");
  EXPECT_EQ(data[0].warn, "5948");
  EXPECT_EQ(data[0].crit, "5958");
  EXPECT_EQ(data[0].min, 0.0);
  EXPECT_EQ(data[0].max, 5968.0);
}

TEST(PerfdataParseTest, QuotedLabelsWithSpacesAndEscapedQuotes) {
  auto data = parse_perfdata("'var log'=818MB;970;975 'it''s'=1 'a=b'=2s");
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0].label, "var log");
  EXPECT_EQ(data[0].uom, "MB");
  EXPECT_EQ(data[1].label, "it's");
  EXPECT_DOUBLE_EQ(data[1].value, 1);
  EXPECT_EQ(data[2].label, "a=b");
  EXPECT_EQ(data[2].uom, "s");
}

TEST(PerfdataParseTest, MissingFieldsStayEmpty) {
  auto data = parse_perfdata("time=0.5s;;;0 load=1.5;@2:3 pct=99.5%");
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0].warn, "");
  EXPECT_EQ(data[0].crit, "");
  EXPECT_EQ(data[0].min, 0.0);
  EXPECT_FALSE(data[0].max);
  EXPECT_EQ(data[1].warn, "@2:3");
  EXPECT_EQ(data[1].crit, "");
  EXPECT_FALSE(data[1].min);
  EXPECT_DOUBLE_EQ(data[2].value, 99.5);
  EXPECT_EQ(data[2].uom, "%");
}

TEST(PerfdataParseTest, GarbageItemsAreSkippedNotFatal) {
  auto data = parse_perfdata("good=1 junk noequals= =5 bad=abc 'open=3 ok2=-2.5c;1;2;3;4;5 u=U nan=nan also=7");
  std::vector<std::string> labels;
  for (const auto& d : data) labels.push_back(d.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"good", "also"}));
}

TEST(PerfdataParseTest, NegativeAndExponentValues) {
  auto data = parse_perfdata("offset=-0.25s;1;2 big=1.5e3B");
  ASSERT_EQ(data.size(), 2u);
  EXPECT_DOUBLE_EQ(data[0].value, -0.25);
  EXPECT_DOUBLE_EQ(data[1].value, 1500);
  EXPECT_EQ(data[1].uom, "B");
}

TEST(PluginOutputTest, SingleLineWithPerfdata) {
  auto out = split_plugin_output("PING OK - loss 0% | rta=0.1ms;100;500;0 pl=0%;20;60;0\n");
  EXPECT_EQ(out.text, "PING OK - loss 0%");
  EXPECT_EQ(out.perfdata, "rta=0.1ms;100;500;0 pl=0%;20;60;0");
}

TEST(PluginOutputTest, MultiLinePerfdataOnFirstAndLaterLines) {
  const std::string output =
      "DISK WARNING - free space: / 3326 MB (56%) | /=2643MB;5948;5958;0;5968\n"
      "/ 15272 MB (77%);\n"
      "/boot 68 MB (69%);\n"
      "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
      "/home=69357MB;253404;253409;0;253414\n"
      "'var log'=818MB;970;975;0;980\n";
  auto out = split_plugin_output(output);
  EXPECT_EQ(out.text, "DISK WARNING - free space: / 3326 MB (56%)\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/var/log 819 MB (84%);");
  auto data = parse_perfdata(out.perfdata);
  ASSERT_EQ(data.size(), 4u);
  EXPECT_EQ(data[0].label, "/");
  EXPECT_EQ(data[1].label, "/boot");
  EXPECT_EQ(data[2].label, "/home");
  EXPECT_EQ(data[3].label, "var log");
  EXPECT_EQ(data[3].max, 980.0);
}

TEST(PluginOutputTest, NoPerfdata) {
  auto out = split_plugin_output("OK\nlong text\n");
  EXPECT_EQ(out.text, "OK\nlong text");
  EXPECT_EQ(out.perfdata, "");
}

TEST(PerfdataFormatTest, RoundTripsThroughTheParser) {
  std::vector<PerfDatum> data(3);
  data[0] = {"disk_used", 93.5, "%", "80", "90", 0.0, 100.0};
  data[1] = {"var log", 818, "MB", "", "", std::nullopt, std::nullopt};
  data[2] = {"it's", -1.25, "", "@1:2", "", 0.0, std::nullopt};
  std::string text = format_perfdata(data);
  EXPECT_EQ(text, "disk_used=93.5%;80;90;0;100 'var log'=818MB 'it''s'=-1.25;@1:2;;0");
  EXPECT_EQ(parse_perfdata(text), data);
}

}  // namespace
}  // namespace baton::worker::checks
