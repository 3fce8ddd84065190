#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/config/config_error.hpp"
#include "worker/actions/action_registry.hpp"
#include "worker/config.hpp"

namespace baton::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using config::ConfigError;

class ActionRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("baton-actions-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text) {
    const std::string path = (dir_ / "worker.yaml").string();
    std::ofstream(path) << text;
    return path;
  }

  WorkerConfig load(const std::string& text) { return load_worker_config(write(text)); }

  // The ConfigError's what(), or "" when the text loads.
  std::string config_error(const std::string& text) {
    try {
      load(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  ActionRegistry registry() {
    return ActionRegistry(load(R"(actions:
  dose_calc:
    argv: ["/opt/mc/bin/dose", "--plan={plan}", "--histories", "{histories}", "--mode", "{mode}", "{case_id}/{step}/{attempt}"]
    params:
      plan: {pattern: "[A-Za-z0-9_.-]+"}
      histories: {type: integer, min: 1, max: 1000000000, default: "1000000"}
      mode: {enum: [fast, exact], default: fast}
    env: {OMP_NUM_THREADS: "4", DOSE_PLAN: "{plan}", GPUS: "{gpus}"}
    cwd: /tmp
    timeout: 2h
  echo:
    argv: [/bin/echo, "{text}"]
    params:
      text:
)")
                              .actions);
  }

  static v1::RunStep step(const std::string& action, std::map<std::string, std::string> params) {
    v1::RunStep s;
    s.set_case_id("case-1");
    s.set_step_index(2);
    s.set_attempt(3);
    s.set_action(action);
    for (auto& [k, v] : params) (*s.mutable_params())[k] = v;
    return s;
  }

  static std::string refusal(const Result<PreparedCommand>& r) {
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "";
    EXPECT_EQ(r.error().code, Errc::refused);
    return r.error().message;
  }

  fs::path dir_;
};

TEST_F(ActionRegistryTest, ReadsActionsAndJobsSections) {
  auto cfg = load(R"(jobs:
  state_dir: /tmp/baton-state
  kill_grace: 2s
  output_tail_lines: 7
actions:
  sleep:
    argv: ["/bin/sleep", "{seconds}"]
    params: {seconds: {type: integer, min: 0, max: 3600}}
)");
  EXPECT_EQ(cfg.jobs.state_dir, "/tmp/baton-state");
  EXPECT_EQ(cfg.jobs.kill_grace, 2s);
  EXPECT_EQ(cfg.jobs.output_tail_lines, 7u);
  ASSERT_EQ(cfg.actions.size(), 1u);
  EXPECT_EQ(cfg.actions[0].name, "sleep");
  EXPECT_EQ(cfg.actions[0].params.at("seconds").type, ParamSpec::Type::integer);
}

TEST_F(ActionRegistryTest, ShippedExampleConfigLoads) {
  auto cfg = load_worker_config(std::string(BATON_SOURCE_DIR) + "/config/worker.yaml");
  EXPECT_FALSE(cfg.actions.empty());
}

TEST_F(ActionRegistryTest, UnknownPlaceholderNamesFileLineAndKey) {
  const std::string error = config_error(R"(actions:
  dose:
    argv:
      - /opt/dose
      - "--plan={plans}"
    params:
      plan: {pattern: "[a-z]+"}
)");
  EXPECT_NE(error.find("worker.yaml:5: actions.dose.argv[1]: unknown placeholder {plans}"), std::string::npos)
      << error;
  EXPECT_NE(error.find("declared: plan"), std::string::npos) << error;
}

TEST_F(ActionRegistryTest, UnknownPlaceholderInEnvIsAnError) {
  const std::string error = config_error(R"(actions:
  a:
    argv: [/bin/true]
    env:
      X: "{nope}"
)");
  EXPECT_NE(error.find("worker.yaml:5: actions.a.env.X: unknown placeholder {nope}"), std::string::npos) << error;
}

TEST_F(ActionRegistryTest, BadRegexIsAnError) {
  const std::string error = config_error(R"(actions:
  a:
    argv: [/bin/echo, "{x}"]
    params:
      x:
        pattern: "[a-z"
)");
  EXPECT_NE(error.find("worker.yaml:6: actions.a.params.x.pattern: not a valid regular expression"), std::string::npos)
      << error;
}

TEST_F(ActionRegistryTest, BadTypeIsAnError) {
  const std::string error = config_error(R"(actions:
  a:
    argv: [/bin/echo, "{x}"]
    params:
      x: {type: float}
)");
  EXPECT_NE(error.find("worker.yaml:5: actions.a.params.x.type: expected one of"), std::string::npos) << error;
}

TEST_F(ActionRegistryTest, OtherConfigMistakes) {
  EXPECT_NE(config_error("actions:\n  a:\n    argv: [\"{x}\"]\n    params: {x: {}}\n")
                .find("actions.a.argv[0]: the program cannot contain placeholders"),
            std::string::npos);
  EXPECT_NE(config_error("actions:\n  a:\n    params: {x: {}}\n").find("actions.a.argv: required key is missing"),
            std::string::npos);
  EXPECT_NE(config_error("actions:\n  a:\n    argv: [/bin/echo, \"{x}\"]\n    params: {x: {type: integer, max: 5, "
                         "default: \"9\"}}\n")
                .find("actions.a.params.x.default: the default fails its own check"),
            std::string::npos);
  EXPECT_NE(config_error("actions:\n  a:\n    argv: [/bin/echo, \"{x\"]\n").find("unclosed '{'"), std::string::npos);
  EXPECT_NE(config_error("actions:\n  a:\n    argv: [/bin/true]\n    colour: red\n").find("actions.a.colour: unknown key"),
            std::string::npos);
  EXPECT_NE(config_error("actions:\n  a:\n    argv: [/bin/true]\n    params: {gpus: {}}\n").find("built-in placeholder"),
            std::string::npos);
}

TEST_F(ActionRegistryTest, ExpandsPlaceholdersInsideArguments) {
  auto r = registry().prepare(step("dose_calc", {{"plan", "p1.v2"}, {"histories", "500"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/opt/mc/bin/dose", "--plan=p1.v2", "--histories", "500", "--mode",
                                               "fast", "case-1/2/3"}));
  EXPECT_EQ(r->env.at("OMP_NUM_THREADS"), "4");
  EXPECT_EQ(r->env.at("DOSE_PLAN"), "p1.v2");
  EXPECT_EQ(r->cwd, "/tmp");
  EXPECT_EQ(r->timeout, 2h);
}

TEST_F(ActionRegistryTest, AppliesDefaults) {
  auto r = registry().prepare(step("dose_calc", {{"plan", "p"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->argv[3], "1000000");
  EXPECT_EQ(r->argv[5], "fast");
}

TEST_F(ActionRegistryTest, ValuesWithSpacesAndShellCharactersStayOneArgument) {
  auto r = registry().prepare(step("echo", {{"text", "a b; rm -rf / $(x) `y` 'z'"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->argv.size(), 2u);
  EXPECT_EQ(r->argv[1], "a b; rm -rf / $(x) `y` 'z'");
}

TEST_F(ActionRegistryTest, GpusPlaceholder) {
  auto s = step("dose_calc", {{"plan", "p"}});
  s.add_gpus(0);
  s.add_gpus(3);
  auto r = registry().prepare(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->env.at("GPUS"), "0,3");
}

TEST_F(ActionRegistryTest, Refusals) {
  auto reg = registry();
  EXPECT_EQ(refusal(reg.prepare(step("rm", {}))), "unknown action 'rm'");
  EXPECT_EQ(refusal(reg.prepare(step("dose_calc", {{"plan", "p"}, {"x", "1"}}))),
            "unknown parameter 'x' for action 'dose_calc'");
  EXPECT_EQ(refusal(reg.prepare(step("dose_calc", {}))), "missing parameter 'plan' for action 'dose_calc'");
  EXPECT_EQ(refusal(reg.prepare(step("dose_calc", {{"plan", "a/../b"}}))),
            "parameter 'plan' for action 'dose_calc': \"a/../b\" does not match the pattern [A-Za-z0-9_.-]+");
  // Full match, not search.
  EXPECT_FALSE(reg.prepare(step("dose_calc", {{"plan", "ok;bad"}})).ok());
  EXPECT_NE(refusal(reg.prepare(step("dose_calc", {{"plan", "p"}, {"histories", "0"}}))).find(
                "parameter 'histories' for action 'dose_calc': expected an integer from 1 to 1000000000"),
            std::string::npos);
  EXPECT_NE(refusal(reg.prepare(step("dose_calc", {{"plan", "p"}, {"histories", "12abc"}}))).find("'histories'"),
            std::string::npos);
  EXPECT_EQ(refusal(reg.prepare(step("dose_calc", {{"plan", "p"}, {"mode", "slow"}}))),
            "parameter 'mode' for action 'dose_calc': expected one of fast, exact, got \"slow\"");
  EXPECT_TRUE(reg.prepare(step("dose_calc", {{"plan", "p"}, {"mode", "exact"}})).ok());
}

TEST_F(ActionRegistryTest, MessageTimeoutMayOnlyShorten) {
  auto reg = registry();
  auto s = step("dose_calc", {{"plan", "p"}});
  s.set_timeout_ms(60'000);
  EXPECT_EQ(reg.prepare(s)->timeout, 1min);
  s.set_timeout_ms(10 * 3600'000);
  EXPECT_EQ(reg.prepare(s)->timeout, 2h);
  auto e = step("echo", {{"text", "x"}});
  EXPECT_EQ(reg.prepare(e)->timeout, 0ms);
  e.set_timeout_ms(1500);
  EXPECT_EQ(reg.prepare(e)->timeout, 1500ms);
}

}  // namespace
}  // namespace baton::worker
