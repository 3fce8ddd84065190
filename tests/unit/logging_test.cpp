#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/log/logging.hpp"

namespace baton::log {
namespace {

namespace fs = std::filesystem;

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* level = std::getenv("BATON_LOG_LEVEL")) saved_level_ = level;
    ::unsetenv("BATON_LOG_LEVEL");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("baton-logging-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
  }

  void TearDown() override {
    // Later tests in this binary must not log into a deleted directory.
    init_logging(config::LogConfig{}, "unit");
    fs::remove_all(dir_);
    if (saved_level_) ::setenv("BATON_LOG_LEVEL", saved_level_->c_str(), 1);
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
  std::optional<std::string> saved_level_;
};

TEST_F(LoggingTest, LoggerWorksWithoutInit) {
  auto log = logger("logging-test-early");
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log, logger("logging-test-early"));
  log->info("console fallback works");
}

TEST_F(LoggingTest, WritesToFileInCreatedDirectory) {
  auto early = logger("logging-test-before-init");

  config::LogConfig cfg;
  cfg.level = "debug";
  cfg.file = (dir_ / "nested" / "dir" / "unit.log").string();
  init_logging(cfg, "unit");

  logger("store")->info("committed {} rows", 42);
  logger("store")->debug("debug is on");
  logger("store")->trace("trace is below the level");
  early->warn("moved onto the new sinks");
  flush_logging();

  const std::string text = read(cfg.file);
  EXPECT_NE(text.find("[store] committed 42 rows"), std::string::npos) << text;
  EXPECT_NE(text.find("debug is on"), std::string::npos) << text;
  EXPECT_EQ(text.find("trace is below the level"), std::string::npos) << text;
  EXPECT_NE(text.find("[logging-test-before-init] moved onto the new sinks"), std::string::npos)
      << text;
}

TEST_F(LoggingTest, UnopenableFileFallsBackToConsole) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "plain-file") << "x";
  config::LogConfig cfg;
  cfg.file = (dir_ / "plain-file" / "unit.log").string();
  EXPECT_NO_THROW(init_logging(cfg, "unit"));
  logger("core")->info("still logging");
  EXPECT_FALSE(fs::exists(cfg.file));
}

TEST_F(LoggingTest, EnvironmentLevelWins) {
  ::setenv("BATON_LOG_LEVEL", "error", 1);
  config::LogConfig cfg;
  cfg.level = "trace";
  init_logging(cfg, "unit");
  EXPECT_EQ(logger("http")->level(), spdlog::level::err);
  ::unsetenv("BATON_LOG_LEVEL");
}

}  // namespace
}  // namespace baton::log
