#include "cli/case_commands.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/case_render.hpp"

namespace baton::cli {
namespace {

using nlohmann::json;

json executing_case() {
  return {
      {"id", "c-17"},
      {"workflow", "dose"},
      {"params", {{"plan", "p1"}, {"fractions", "5"}}},
      {"priority", 0},
      {"status", "EXECUTING"},
      {"current_step", 1},
      {"attempt", 1},
      {"worker_id", "gpu-01"},
      {"progress", 45},
      {"progress_message", "epoch 3/10"},
      {"message", "dispatched to gpu-01"},
      {"cancel_requested", false},
      {"created_at", "2024-05-01T12:00:00.000Z"},
      {"updated_at", "2024-05-01T12:04:00.000Z"},
      {"not_before", nullptr},
      {"age_seconds", 310.5},
  };
}

json with_attempts(json c) {
  c["history"] = json::array({
      {{"at", "2024-05-01T12:00:00.000Z"},
       {"status", "QUEUED"},
       {"step", 0},
       {"attempt", 0},
       {"worker_id", ""},
       {"message", "submitted"}},
      {{"at", "2024-05-01T12:01:00.000Z"},
       {"status", "EXECUTING"},
       {"step", 1},
       {"attempt", 1},
       {"worker_id", "gpu-01"},
       {"message", "started"}},
  });
  c["attempts"] = json::array({
      {{"step", 0},
       {"step_name", "prepare"},
       {"attempt", 1},
       {"worker_id", "cpu-01"},
       {"status", "SUCCEEDED"},
       {"slots", 1},
       {"gpus", json::array()},
       {"pid", 100},
       {"exit_code", 0},
       {"message", ""},
       {"output_tail", "prepared\n"},
       {"dispatched_at", "2024-05-01T12:00:01.000Z"},
       {"started_at", "2024-05-01T12:00:02.000Z"},
       {"finished_at", "2024-05-01T12:00:30.000Z"}},
      {{"step", 1},
       {"step_name", "simulate"},
       {"attempt", 1},
       {"worker_id", "gpu-01"},
       {"status", "RUNNING"},
       {"slots", 4},
       {"gpus", {0, 1}},
       {"pid", 4242},
       {"exit_code", 0},
       {"message", ""},
       {"output_tail", ""},
       {"dispatched_at", "2024-05-01T12:01:00.000Z"},
       {"started_at", "2024-05-01T12:01:01.000Z"},
       {"finished_at", nullptr}},
  });
  return c;
}

TEST(CaseProgressLine, ShowsStepNameAttemptWorkerProgressAndMessage) {
  EXPECT_EQ(render_progress_line(with_attempts(executing_case())),
            "case c-17 EXECUTING step 2 (simulate) attempt 1 on gpu-01  45% [epoch 3/10]");
  // Without attempts (a list entry) the step has no name.
  EXPECT_EQ(render_progress_line(executing_case()), "case c-17 EXECUTING step 2 attempt 1 on gpu-01  45% [epoch 3/10]");
  // The API's step index counts from 0.
  auto first = executing_case();
  first["current_step"] = 0;
  EXPECT_EQ(render_progress_line(first), "case c-17 EXECUTING step 1 attempt 1 on gpu-01  45% [epoch 3/10]");
}

TEST(CaseProgressLine, QueuedAndFinishedCasesSayLess) {
  json queued = {{"id", "c-1"},
                 {"status", "QUEUED"},
                 {"current_step", 0},
                 {"attempt", 0},
                 {"worker_id", ""},
                 {"progress", nullptr},
                 {"message", "waiting for a gpu worker"}};
  EXPECT_EQ(render_progress_line(queued), "case c-1 QUEUED [waiting for a gpu worker]");
  queued["message"] = "";
  EXPECT_EQ(render_progress_line(queued), "case c-1 QUEUED");
  queued["message"] = "no worker\nwith a gpu";
  EXPECT_EQ(render_progress_line(queued), "case c-1 QUEUED [no worker with a gpu]");

  json failed = {{"id", "c-2"},
                 {"status", "FAILED"},
                 {"current_step", 1},
                 {"attempt", 3},
                 {"worker_id", "gpu-01"},
                 {"progress", 80},
                 {"progress_message", "epoch 8"},
                 {"message", "step simulate failed 3 times"}};
  EXPECT_EQ(render_progress_line(failed), "case c-2 FAILED step 2 attempt 3  80% [step simulate failed 3 times]");

  auto cancelling = executing_case();
  cancelling["cancel_requested"] = true;
  cancelling["progress"] = nullptr;
  EXPECT_EQ(render_progress_line(cancelling),
            "case c-17 EXECUTING step 2 attempt 1 on gpu-01 (cancel requested) [epoch 3/10]");
}

TEST(CaseProgressLine, ExitCodesAndOutcome) {
  EXPECT_FALSE(exit_code_for_case(executing_case()).has_value());
  EXPECT_EQ(exit_code_for_case(json{{"status", "COMPLETED"}}), kExitOk);
  EXPECT_EQ(exit_code_for_case(json{{"status", "FAILED"}}), kExitProblem);
  EXPECT_EQ(exit_code_for_case(json{{"status", "CANCELLED"}}), kExitProblem);
  EXPECT_EQ(render_case_outcome(json{{"id", "c-1"}, {"status", "COMPLETED"}, {"message", "done"}}), "c-1 COMPLETED");
  EXPECT_EQ(render_case_outcome(json{{"id", "c-1"}, {"status", "FAILED"}, {"message", "exit 3"}}),
            "c-1 FAILED: exit 3");
}

TEST(CaseTable, ListsCasesWithAgeAndTruncatedMessage) {
  auto queued = json{{"id", "c-18"},        {"workflow", "scan"}, {"status", "QUEUED"},
                     {"current_step", 0},   {"attempt", 0},       {"worker_id", ""},
                     {"progress", nullptr}, {"age_seconds", 4.2}, {"message", std::string(70, 'x')}};
  EXPECT_EQ(render_case_table(json::array({executing_case(), queued})),
            "ID    STATUS     WORKFLOW  STEP  ATTEMPT  WORKER  PROGRESS  AGE     MESSAGE\n"
            "c-17  EXECUTING  dose         2        1  gpu-01       45%  5m ago  epoch 3/10\n"
            "c-18  QUEUED     scan         1        -  -              -  4s ago  " +
                std::string(59, 'x') + "…\n");
}

TEST(CaseDetails, ShowsFieldsHistoryAttemptsAndOutput) {
  const auto out = render_case_details(with_attempts(executing_case()));
  EXPECT_EQ(out.substr(0, out.find("history:")),
            "id         c-17\n"
            "workflow   dose\n"
            "params     fractions=5, plan=p1\n"
            "priority   0\n"
            "status     EXECUTING\n"
            "step       2 (simulate)\n"
            "attempt    1\n"
            "worker     gpu-01\n"
            "progress   45% epoch 3/10\n"
            "message    dispatched to gpu-01\n"
            "submitted  2024-05-01T12:00:00.000Z (5m ago)\n"
            "updated    2024-05-01T12:04:00.000Z\n"
            "\n");
  EXPECT_NE(out.find("history:\nAT                        STATUS     STEP  ATTEMPT  WORKER  MESSAGE\n"
                     "2024-05-01T12:00:00.000Z  QUEUED        1        -  -       submitted\n"
                     "2024-05-01T12:01:00.000Z  EXECUTING     2        1  gpu-01  started\n"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("attempts:\n"
               "STEP  NAME      ATTEMPT  STATUS     WORKER  SLOTS  GPUS   PID  EXIT  STARTED                   "
               "FINISHED                  MESSAGE\n"
               "   1  prepare         1  SUCCEEDED  cpu-01      1  -      100     0  2024-05-01T12:00:02.000Z  "
               "2024-05-01T12:00:30.000Z\n"
               "   2  simulate        1  RUNNING    gpu-01      4  0,1   4242     -  2024-05-01T12:01:01.000Z  -\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("output of step 1 attempt 1:\n  prepared\n"), std::string::npos) << out;
}

TEST(CaseDetails, SaysSoWhenThereIsNoHistoryYet) {
  auto c = executing_case();
  c["history"] = json::array();
  c["attempts"] = json::array();
  const auto out = render_case_details(c);
  EXPECT_NE(out.find("history:\n  (none)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("attempts:\n  (none yet)\n"), std::string::npos) << out;
}

TEST(CaseParams, ParsesNameValuePairs) {
  auto params = parse_params({"plan=p1", "note=a=b", "empty="});
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*params, (std::map<std::string, std::string>{{"plan", "p1"}, {"note", "a=b"}, {"empty", ""}}));
  EXPECT_FALSE(parse_params({"plan"}).ok());
  EXPECT_FALSE(parse_params({"=x"}).ok());
  EXPECT_EQ(parse_params({"a=1", "a=2"}).error().message, "parameter a is given twice");
}

TEST(CaseText, TruncatesByCharacters) {
  EXPECT_EQ(truncate_text("short", 10), "short");
  EXPECT_EQ(truncate_text("exactly10!", 10), "exactly10!");
  EXPECT_EQ(truncate_text("eleven chars", 10), "eleven ch…");
  EXPECT_EQ(truncate_text("zürich-zürich", 8), "zürich-…");
}

}  // namespace
}  // namespace baton::cli
