#include <unistd.h>

#include <gtest/gtest.h>

#include "check_test_support.hpp"
#include "common/http/server.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using testing::find_perf;
using testing::kFixtures;

const std::string kRealPlugins = "/usr/lib/nagios/plugins";

CheckRequest plugin(const std::string& name, std::vector<std::string> args = {},
                    milliseconds timeout = milliseconds(10'000)) {
  CheckRequest r = testing::request("plugin", {{"plugin", name}}, timeout);
  r.args = std::move(args);
  return r;
}

class FixturePluginTest : public ::testing::Test {
 protected:
  static ChecksConfig config() {
    ChecksConfig c;
    c.plugin_dirs = {"/nonexistent/plugins", kFixtures + "/plugins"};
    c.plugins = {"check_hang", "check_exit7", "check_flood", "check_multiline", "check_args", "check_absent"};
    return c;
  }
  CheckRunner runner_{config()};
};

TEST_F(FixturePluginTest, HangingPluginIsUnknownAtItsTimeout) {
  auto outcome = runner_.run(plugin("check_hang", {}, milliseconds(300)));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_EQ(outcome.output, "plugin: timed out after 300 ms running plugin check_hang");
}

TEST_F(FixturePluginTest, ExitCodeOutsideNagiosRangeIsUnknown) {
  auto outcome = runner_.run(plugin("check_exit7"));
  EXPECT_EQ(outcome.state, CheckState::unknown);
  EXPECT_EQ(outcome.output, "plugin check_exit7 exited 7, which is not a Nagios state (0-3): something odd happened");
}

TEST_F(FixturePluginTest, FloodIsTruncatedWithAMarker) {
  auto outcome = runner_.run(plugin("check_flood"));
  EXPECT_EQ(outcome.state, CheckState::warning);
  EXPECT_TRUE(outcome.output_truncated);
  EXPECT_LE(outcome.output.size(), 4096u);
  EXPECT_NE(outcome.output.find("[output truncated at 4096 bytes]"), std::string::npos);
  EXPECT_EQ(outcome.output.rfind("\xE2\x80\xA6 [plugin printed more than 65536 bytes; its start is lost]\nflood line ", 0),
            0u)
      << outcome.output.substr(0, 200);
}

TEST_F(FixturePluginTest, MultiLineOutputAndPerfdata) {
  auto outcome = runner_.run(plugin("check_multiline"));
  EXPECT_EQ(outcome.state, CheckState::warning);
  EXPECT_EQ(outcome.output,
            "DISK WARNING - free space: / 3326 MB (56%)\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/var/log 819 MB (84%);");
  ASSERT_EQ(outcome.perfdata.size(), 4u);
  EXPECT_EQ(outcome.perfdata[0].label, "/");
  EXPECT_EQ(outcome.perfdata[3].label, "var log");
  EXPECT_DOUBLE_EQ(outcome.perfdata[3].value, 818);
}

TEST_F(FixturePluginTest, ArgsArePassedVerbatimWithoutAShell) {
  auto outcome = runner_.run(plugin("check_args", {"-H", "host name", "$(touch /tmp/pwned)", "*"}));
  EXPECT_EQ(outcome.state, CheckState::ok);
  EXPECT_EQ(outcome.output, "OK - got 4 args\narg: -H\narg: host name\narg: $(touch /tmp/pwned)\narg: *");
  EXPECT_DOUBLE_EQ(find_perf(outcome, "args")->value, 4);
}

TEST_F(FixturePluginTest, OnlyAllowlistedPlainNamesFromPluginDirsRun) {
  auto not_allowed = runner_.run(plugin("check_dummy"));
  EXPECT_EQ(not_allowed.state, CheckState::unknown);
  EXPECT_NE(not_allowed.output.find("'check_dummy' is not in this worker's checks.plugins"), std::string::npos)
      << not_allowed.output;

  auto path = runner_.run(plugin(kFixtures + "/plugins/check_args"));
  EXPECT_EQ(path.state, CheckState::unknown);
  EXPECT_NE(path.output.find("without '/'"), std::string::npos) << path.output;

  auto dotdot = runner_.run(plugin(".."));
  EXPECT_EQ(dotdot.state, CheckState::unknown);

  auto absent = runner_.run(plugin("check_absent"));
  EXPECT_EQ(absent.state, CheckState::unknown);
  EXPECT_NE(absent.output.find("not an executable file in /nonexistent/plugins, "), std::string::npos)
      << absent.output;

  auto nagios_alias = runner_.run([] {
    CheckRequest r = plugin("check_args");
    r.type = "nagios";
    return r;
  }());
  EXPECT_EQ(nagios_alias.state, CheckState::ok);
}

class RealPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access((kRealPlugins + "/check_dummy").c_str(), X_OK) != 0)
      GTEST_SKIP() << "monitoring-plugins-basic is not installed";
  }
  static ChecksConfig config() {
    ChecksConfig c;
    c.plugins = {"check_dummy", "check_disk", "check_tcp"};
    return c;
  }
  CheckRunner runner_{config()};
};

TEST_F(RealPluginTest, CheckDummyExitCodesMapToStates) {
  auto ok = runner_.run(plugin("check_dummy", {"0", "all good"}));
  EXPECT_EQ(ok.state, CheckState::ok);
  EXPECT_EQ(ok.output, "OK: all good");
  EXPECT_EQ(runner_.run(plugin("check_dummy", {"1", "meh"})).state, CheckState::warning);
  EXPECT_EQ(runner_.run(plugin("check_dummy", {"2", "bad"})).state, CheckState::critical);
  EXPECT_EQ(runner_.run(plugin("check_dummy", {"3", "unsure"})).state, CheckState::unknown);
}

TEST_F(RealPluginTest, CheckDiskPerfdataIsParsed) {
  auto outcome = runner_.run(plugin("check_disk", {"-w", "0", "-c", "0", "-p", "/"}));
  EXPECT_EQ(outcome.state, CheckState::ok) << outcome.output;
  EXPECT_EQ(outcome.output.rfind("DISK OK", 0), 0u) << outcome.output;
  const PerfDatum* root = find_perf(outcome, "/");
  ASSERT_NE(root, nullptr) << outcome.output;
  EXPECT_GT(root->value, 0);
  EXPECT_TRUE(root->max.has_value());
}

TEST_F(RealPluginTest, CheckTcpAgainstARealServerAndAClosedPort) {
  http::Server server{"127.0.0.1", 0, http::Router{}};
  ASSERT_TRUE(server.start().ok());
  auto open = runner_.run(plugin("check_tcp", {"-H", "127.0.0.1", "-p", std::to_string(server.port())}));
  EXPECT_EQ(open.state, CheckState::ok) << open.output;
  ASSERT_NE(find_perf(open, "time"), nullptr) << open.output;
  EXPECT_EQ(find_perf(open, "time")->uom, "s");
  const uint16_t port = server.port();
  server.stop();
  auto closed = runner_.run(plugin("check_tcp", {"-H", "127.0.0.1", "-p", std::to_string(port)}));
  EXPECT_EQ(closed.state, CheckState::critical) << closed.output;
  EXPECT_NE(closed.output.find("Connection refused"), std::string::npos) << closed.output;
}

}  // namespace
}  // namespace baton::worker::checks
