#include <gtest/gtest.h>

#include "tests/unit/maintenance/maintenance_test_support.hpp"

namespace baton::worker::maintenance {
namespace {

using namespace std::chrono_literals;
using namespace testing;
namespace fs = std::filesystem;

const std::string kScript = BATON_SOURCE_DIR "/tests/unit/maintenance/fixtures/restart-service.sh";

class RestartServiceTest : public ::testing::Test {
 protected:
  MaintenanceRunner runner() {
    MaintenanceConfig c;
    c.services["web"] = {{kScript, marker_.string(), "0", "web.service"}, 30s};
    c.services["broken"] = {{kScript, marker_.string(), "3", "broken.service"}, 30s};
    c.services["hung"] = {{"sleep", "30"}, 200ms};
    return MaintenanceRunner(c);
  }

  TempDir tmp_;
  fs::path marker_ = tmp_ / "restarts";
};

TEST_F(RestartServiceTest, RunsTheConfiguredArgvAndReportsSuccess) {
  const auto outcome = runner().run(request("restart_service", {{"service", "web"}}));
  ASSERT_TRUE(outcome.ok) << outcome.message;
  EXPECT_EQ(read_file(marker_), "restart web.service\n");
  EXPECT_EQ(outcome.details["exit_code"], 0);
  EXPECT_EQ(outcome.details["stdout"], "restarting web.service\n");
}

TEST_F(RestartServiceTest, ReportsANonZeroExitAsAFailure) {
  const auto outcome = runner().run(request("restart_service", {{"service", "broken"}}));
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.refused);
  EXPECT_EQ(outcome.details["exit_code"], 3);
  EXPECT_EQ(outcome.details["stderr"], "warning from broken.service\n");
  EXPECT_NE(outcome.message.find("exit 3"), std::string::npos) << outcome.message;
}

TEST_F(RestartServiceTest, KillsARestartThatOutlivesItsTimeout) {
  const auto outcome = runner().run(request("restart_service", {{"service", "hung"}}));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.details["timed_out"], true);
}

TEST_F(RestartServiceTest, RefusesUnknownServicesAndDryRunRunsNothing) {
  const auto unknown = runner().run(request("restart_service", {{"service", "sshd"}}));
  EXPECT_TRUE(unknown.refused);
  EXPECT_NE(unknown.message.find("configured: broken, hung, web"), std::string::npos) << unknown.message;
  const auto dry = runner().run(request("restart_service", {{"service", "web"}}, true));
  EXPECT_TRUE(dry.ok);
  EXPECT_FALSE(fs::exists(marker_));
}

TEST(MaintenanceRunnerTest, RefusesAnUnknownAction) {
  MaintenanceRunner runner{MaintenanceConfig{}};
  const auto outcome = runner.run(request("format_disk", {}));
  EXPECT_TRUE(outcome.refused);
  EXPECT_NE(outcome.message.find("unknown maintenance action \"format_disk\""), std::string::npos);
  EXPECT_NE(outcome.message.find("rotate, cleanup"), std::string::npos);
}

}  // namespace
}  // namespace baton::worker::maintenance
