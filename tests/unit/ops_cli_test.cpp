#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/alert_commands.hpp"
#include "cli/check_commands.hpp"
#include "cli/ops_commands.hpp"
#include "common/http/server.hpp"
#include "conductor/core/ops_service.hpp"
#include "conductor/http/api.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::cli {
namespace {

using nlohmann::json;
using conductor::CheckState;
using Kind = conductor::TaskDefinition::Kind;

constexpr const char* kToken = "t0k3n";

// Plays the core: a run of check "disk" is answered at once by the workers
// in `answering` (written to the database the API reads, as the core would),
// and a run of "cleanup" fails on w1. Silences live in memory.
class FakeOps final : public conductor::OpsService {
 public:
  explicit FakeOps(conductor::ConductorStore& store) : store_(store) {}

  Result<std::vector<conductor::TriggeredRun>> run_task(Kind kind, const std::string& name, const std::string&,
                                                        std::optional<bool> dry_run) override {
    std::vector<conductor::TriggeredRun> runs;
    if (kind == Kind::check && name == "disk") {
      for (const auto* worker : {"w1", "w2"}) {
        runs.push_back({worker, "chk-" + std::string(worker)});
        if (const auto it = answering.find(worker); it != answering.end()) answer_check(runs.back(), it->second);
      }
      return runs;
    }
    if (kind == Kind::maintenance && name == "cleanup") {
      runs.push_back({"w1", "act-w1"});
      fail_action(runs.back(), dry_run.value_or(false));
      return runs;
    }
    return make_error(Errc::not_found, std::string("no ") + conductor::to_string(kind) + " named " + name);
  }
  Result<std::vector<conductor::ScheduledTarget>> schedules() override {
    return std::vector<conductor::ScheduledTarget>{};
  }
  Result<std::vector<conductor::TaskDefinition>> tasks() override {
    return std::vector<conductor::TaskDefinition>{};
  }
  Result<conductor::alerts::AlertRecord> acknowledge(int64_t id, const std::string&, const std::string&,
                                                     std::optional<TimePoint>) override {
    return make_error(Errc::not_found, "no open alert " + std::to_string(id));
  }
  Result<conductor::alerts::Silence> add_silence(conductor::alerts::Silence silence) override {
    silence.id = ++last_silence_id;
    silences_.push_back(silence);
    return silence;
  }
  Status expire_silence(int64_t id) override {
    if (std::erase_if(silences_, [id](const auto& s) { return s.id == id; }) == 0)
      return make_error(Errc::not_found, "no active silence " + std::to_string(id));
    return {};
  }
  Result<std::vector<conductor::alerts::Silence>> silences() override { return silences_; }
  Result<conductor::alerts::MaintenanceWindow> add_maintenance(conductor::alerts::MaintenanceWindow window) override {
    window.id = 1;
    last_window = window;
    return window;
  }
  Status end_maintenance(int64_t) override { return make_error(Errc::not_found, "none"); }
  Result<std::vector<conductor::alerts::MaintenanceWindow>> maintenance_windows() override {
    return std::vector<conductor::alerts::MaintenanceWindow>{};
  }

  std::map<std::string, CheckState> answering;
  int64_t last_silence_id = 0;
  std::optional<conductor::alerts::MaintenanceWindow> last_window;

 private:
  void answer_check(const conductor::TriggeredRun& run, CheckState state) {
    conductor::CheckResultRecord r;
    r.worker_id = run.worker_id;
    r.check = "disk";
    r.command_id = run.command_id;
    r.state = state;
    r.output = "DISK " + std::string(conductor::to_string(state)) + " - /data 97% used";
    r.at = std::chrono::system_clock::now();
    EXPECT_TRUE(store_.record_check_result(r).ok());
  }
  void fail_action(const conductor::TriggeredRun& run, bool dry_run) {
    conductor::MaintenanceRunRecord m;
    m.command_id = run.command_id;
    m.worker_id = run.worker_id;
    m.task = m.action = "cleanup";
    m.dry_run = dry_run;
    m.requested_at = std::chrono::system_clock::now();
    EXPECT_TRUE(store_.insert_maintenance_run(m).ok());
    m.status = "FAILED";
    m.message = "permission denied";
    m.details_json = R"({"path": "/var/tmp"})";
    m.finished_at = m.requested_at;
    EXPECT_TRUE(store_.finish_maintenance_run(m).ok());
  }

  conductor::ConductorStore& store_;
  std::vector<conductor::alerts::Silence> silences_;
};

class OpsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("baton-ops-cli-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const auto database = (dir_ / "baton.db").string();
    auto store = conductor::ConductorStore::open(database);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    ops_ = std::make_unique<FakeOps>(*store_);
    conductor::ApiDeps deps;
    deps.database_path = database;
    deps.ops = ops_.get();
    deps.api_token = kToken;
    http::Router router;
    conductor::ConductorApi(deps).install(router);
    server_ = std::make_unique<http::Server>("127.0.0.1", 0, std::move(router));
    ASSERT_TRUE(server_->start().ok());
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    server_->stop();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs batonctl's parsing and callbacks in-process; returns the exit code.
  int run(const std::string& args, std::string token = kToken) {
    CliContext context;
    context.options.url = url_;
    context.options.token = std::move(token);
    CLI::App app;
    app.require_subcommand(1);
    add_check_commands(app, context);
    add_alert_commands(app, context);
    add_ops_commands(app, context);
    ::testing::internal::CaptureStdout();
    try {
      app.parse(args, false);
    } catch (const CLI::ParseError& e) {
      out_ = ::testing::internal::GetCapturedStdout();
      ADD_FAILURE() << "parse error: " << e.what();
      return -1;
    }
    out_ = ::testing::internal::GetCapturedStdout();
    return context.exit_code;
  }

  bool printed(const std::string& text) const { return out_.find(text) != std::string::npos; }

  std::filesystem::path dir_;
  std::unique_ptr<conductor::ConductorStore> store_;
  std::unique_ptr<FakeOps> ops_;
  std::unique_ptr<http::Server> server_;
  std::string url_;
  std::string out_;
};

TEST_F(OpsCliTest, CheckRunWaitPrintsEveryStateAndExitsZeroWhenAllAreOk) {
  ops_->answering = {{"w1", CheckState::ok}, {"w2", CheckState::ok}};
  EXPECT_EQ(run("check run disk --wait"), kExitOk) << out_;
  EXPECT_TRUE(printed("w1      OK")) << out_;
  EXPECT_TRUE(printed("w2      OK")) << out_;
  EXPECT_TRUE(printed("DISK OK - /data 97% used")) << out_;
}

TEST_F(OpsCliTest, CheckRunWaitExitsOneOnAProblemOrAMissingAnswer) {
  ops_->answering = {{"w1", CheckState::critical}};
  EXPECT_EQ(run("check run disk --wait --wait-timeout 1"), kExitProblem) << out_;
  EXPECT_TRUE(printed("w1      CRITICAL")) << out_;
  EXPECT_TRUE(printed("w2      NO ANSWER")) << out_;
}

TEST_F(OpsCliTest, CheckRunWithoutWaitListsTheCommandsSent) {
  EXPECT_EQ(run("check run disk"), kExitOk);
  EXPECT_TRUE(printed("w1  chk-w1")) << out_;
  EXPECT_EQ(run("check run nope"), kExitProblem) << "404: refused";
  EXPECT_EQ(run("check run disk", "wrong"), kExitProblem) << "401: refused";
}

TEST_F(OpsCliTest, ActionRunWaitShowsTheFailureAndItsDetails) {
  EXPECT_EQ(run("action run cleanup --dry-run --wait"), kExitProblem) << out_;
  EXPECT_TRUE(printed("w1 FAILED (dry run): permission denied")) << out_;
  EXPECT_TRUE(printed(R"(details: {"path":"/var/tmp"})")) << out_;
  EXPECT_EQ(run("action runs"), kExitOk);
  EXPECT_TRUE(printed("FAILED (dry)")) << out_;
}

TEST_F(OpsCliTest, SilencesAreAddedListedAndRemoved) {
  EXPECT_EQ(run("silence add --worker gpu-* --severity critical --duration 2h --expire-on-resolve "
                "--comment 'disk swap' --author ana"),
            kExitOk)
      << out_;
  EXPECT_TRUE(printed("silence 1 from ")) << out_;
  EXPECT_EQ(run("silence list"), kExitOk);
  EXPECT_TRUE(printed("worker=gpu-* severity=critical (until resolved)")) << out_;
  EXPECT_TRUE(printed("ana")) << out_;
  EXPECT_EQ(run("silence list --json"), kExitOk);
  EXPECT_EQ(json::parse(out_)[0]["comment"], "disk swap");
  EXPECT_EQ(run("silence remove 1"), kExitOk);
  EXPECT_EQ(run("silence remove 1"), kExitProblem) << "already ended";
  EXPECT_EQ(run("silence add --duration 2h --comment everything"), kExitUnavailable) << "no matcher: usage";
  EXPECT_EQ(run("silence add --worker w1 --duration soon --comment x"), kExitProblem) << "the conductor refuses";
}

TEST_F(OpsCliTest, MaintenanceAddSendsEveryWorkerAndLabel) {
  EXPECT_EQ(run("maintenance add --worker gpu-01 --worker gpu-02 --label rack-3 --duration 90m --comment firmware"),
            kExitOk)
      << out_;
  ASSERT_TRUE(ops_->last_window.has_value());
  EXPECT_EQ(ops_->last_window->workers, (std::vector<std::string>{"gpu-01", "gpu-02"}));
  EXPECT_EQ(ops_->last_window->labels, (std::vector<std::string>{"rack-3"}));
  EXPECT_EQ(ops_->last_window->ends_at - ops_->last_window->starts_at, std::chrono::minutes(90));
}

TEST_F(OpsCliTest, ReportIsWrittenToTheFileAndSummarised) {
  const auto path = (dir_ / "report.json").string();
  EXPECT_EQ(run("report --output " + path), kExitOk) << out_;
  EXPECT_TRUE(printed("overall: healthy")) << out_;
  EXPECT_TRUE(printed("report written to " + path)) << out_;
  std::ifstream file(path);
  const auto written = json::parse(file);
  EXPECT_EQ(written["overall_status"], "healthy");
  EXPECT_TRUE(written.contains("health_score_formula"));
}

TEST_F(OpsCliTest, DbBackupAndCheck) {
  const auto copy = (dir_ / "copy.db").string();
  EXPECT_EQ(run("db backup " + copy), kExitOk) << out_;
  EXPECT_TRUE(printed("backed up to " + copy)) << out_;
  EXPECT_TRUE(std::filesystem::exists(copy));
  EXPECT_EQ(run("db backup " + copy), kExitProblem) << "exists: 409";
  EXPECT_EQ(run("db check"), kExitOk) << out_;
  EXPECT_TRUE(printed("database is intact")) << out_;
}

TEST_F(OpsCliTest, AnUnreachableConductorIsExitTwo) {
  server_->stop();
  EXPECT_EQ(run("alert list"), kExitUnavailable);
}

TEST(OpsCliRendering, TablesShowWhatMatters) {
  const json checks = json::array({{{"worker_id", "w1"},
                                    {"check", "disk"},
                                    {"state", "WARNING"},
                                    {"state_age_seconds", 3720},
                                    {"age_seconds", 30},
                                    {"output", "DISK WARNING\n/data 85%"}}});
  const auto table = render_check_table(checks);
  EXPECT_NE(table.find("w1      disk   WARNING  1h 2m  30s ago   DISK WARNING /data 85%"), std::string::npos) << table;

  const json alerts = json::array({{{"id", 7},
                                    {"severity", "critical"},
                                    {"state", "open"},
                                    {"worker_id", "w1"},
                                    {"check", "disk"},
                                    {"last_state", "CRITICAL"},
                                    {"age_seconds", 600},
                                    {"acknowledged", true},
                                    {"silenced", true},
                                    {"last_output", "full"}}});
  const auto alert_table = render_alert_table(alerts);
  EXPECT_NE(alert_table.find("disk@w1"), std::string::npos) << alert_table;
  EXPECT_NE(alert_table.find("acknowledged,silenced"), std::string::npos) << alert_table;

  std::tm may_first{};
  may_first.tm_year = 124;
  may_first.tm_mon = 4;
  may_first.tm_mday = 1;
  EXPECT_EQ(default_report_file(may_first), "daily_health_20240501.json");
  EXPECT_EQ(with_query("/api/v1/checks", {{"state", "CRITICAL"}, {"worker", ""}, {"check", "a b"}}),
            "/api/v1/checks?state=CRITICAL&check=a%20b");
}

TEST(OpsCliBodies, SilenceAndWindowBodiesNeedAMatcherAnEndAndAComment) {
  SilenceArgs silence;
  silence.check = "disk";
  silence.duration = "2h";
  silence.comment = "swap";
  silence.author = "ana";
  const auto body = silence_body(silence);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, (json{{"check", "disk"}, {"duration", "2h"}, {"comment", "swap"}, {"author", "ana"}}));
  silence.end = "2030-01-01T00:00:00Z";
  EXPECT_FALSE(silence_body(silence).ok()) << "both --duration and --end";
  silence.end.clear();
  silence.check.clear();
  EXPECT_FALSE(silence_body(silence).ok()) << "no matcher";

  WindowArgs window;
  window.labels = {"gpu"};
  window.end = "2030-01-01T00:00:00Z";
  EXPECT_FALSE(window_body(window).ok()) << "no comment";
  window.comment = "firmware";
  const auto window_json = window_body(window);
  ASSERT_TRUE(window_json.ok());
  EXPECT_EQ((*window_json)["ends_at"], "2030-01-01T00:00:00Z");
  EXPECT_FALSE(window_json->contains("workers"));
}

}  // namespace
}  // namespace baton::cli
