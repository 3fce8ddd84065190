#include "cli/check_commands.hpp"

#include <unistd.h>

#include <iostream>
#include <thread>

#include "cli/case_render.hpp"
#include "cli/conductor_client.hpp"
#include "cli/format.hpp"
#include "cli/ops_commands.hpp"
#include "cli/table.hpp"
#include "common/http/url.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kOutputWidth = 60;

std::string age(const json& object, const char* key) { return format_age(number_field(object, key).value_or(-1)); }

std::string short_output(const json& object, const char* key) {
  auto text = cell(object, key);
  for (auto& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return truncate_text(text, kOutputWidth);
}

std::string targets(const json& task) {
  const auto t = task.value("targets", json::object());
  const auto workers = joined(t.value("workers", json::array()));
  const auto labels = joined(t.value("labels", json::array()));
  if (workers == "-" && labels == "-") return "all workers";
  std::string out;
  if (workers != "-") out += workers;
  if (labels != "-") out += (out.empty() ? "" : " ") + std::string("labels:") + labels;
  return out;
}

std::string schedule_text(const json& task) {
  const auto schedule = task.value("schedule", json());
  if (!schedule.is_object()) return "on request";
  if (schedule.value("kind", "") == "cron") return "cron " + cell(schedule, "cron") + " " + cell(schedule, "timezone");
  return "every " + cell(schedule, "every");
}

std::string params_text(const json& task) {
  std::string out;
  const auto params = task.value("params", json::object());
  for (const auto& [key, value] : params.items())
    out += (out.empty() ? "" : " ") + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  return out.empty() ? "-" : out;
}

// The progress of --wait: redrawn in place on a terminal, one line per
// change otherwise (logs, CI).
void show_progress(const std::string& line, bool final) {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  if (tty) {
    std::cerr << "\r" << line << "\x1b[K" << (final ? "\n" : "") << std::flush;
  } else {
    std::cerr << line << "\n" << std::flush;
  }
}

struct ListArgs {
  std::string state, worker, check;
  unsigned limit = 0;
  bool json_output = false;
};

struct RunArgs {
  std::string name, worker;
  bool dry_run = false;
  bool wait = false;
  unsigned wait_seconds = 300;
  bool json_output = false;
};

// Each poll is a short request: a slow answer is just retried on the next.
GlobalOptions poll_options(const GlobalOptions& options) {
  auto out = options;
  out.timeout_seconds = std::min(out.timeout_seconds, 5.0);
  return out;
}

// Looks one command up through a list endpoint filtered by ?command_id=:
// its first row, once `done` says that row has an outcome.
std::function<Result<std::optional<json>>(const std::string&)> lookup(const GlobalOptions& options,
                                                                       std::string path, const char* member,
                                                                       std::function<bool(const json&)> done) {
  return [options, path = std::move(path), member, done = std::move(done)](
             const std::string& command_id) -> Result<std::optional<json>> {
    auto reply = get_json(options, with_query(path, {{"command_id", command_id}, {"limit", "1"}}));
    if (!reply) return reply.error();
    if (reply->status != 200 || !reply->body.is_object())
      return make_error(Errc::unavailable, error_reason(*reply));
    const auto rows = reply->body.value(member, json::array());
    if (rows.empty() || !done(rows[0])) return std::optional<json>();
    return std::optional<json>(rows[0]);
  };
}

// POSTs the run; prints the runs it started, or with --wait their outcome.
// `outcome` renders the answers and says whether all went well.
void run_and_wait(CliContext& context, const std::string& path, const json& body, const RunArgs& args,
                  const std::string& label, std::function<Result<std::optional<json>>(const std::string&)> answer_of,
                  const std::function<bool(const json& runs, const std::map<std::string, json>&)>& outcome) {
  auto started = expect_answer(context, post_json(context.options, path, body), {200, 202}, label + " refused");
  if (!started) return;
  const auto runs = started->value("runs", json::array());
  if (!args.wait) {
    if (args.json_output) {
      std::cout << started->dump(2) << "\n";
      return;
    }
    for (const auto& run : runs) std::cout << cell(run, "worker_id") << "  " << cell(run, "command_id") << "\n";
    return;
  }
  RunWait wait{label, std::move(answer_of), std::chrono::milliseconds(500), std::chrono::seconds(args.wait_seconds)};
  const auto result = wait_for_runs(runs, wait);
  if (result.error) {
    context.exit_code = report_failure(context.options, *result.error);
    return;
  }
  if (args.json_output) {
    json answers = json::array();
    for (const auto& [_, answer] : result.answers) answers.push_back(answer);
    std::cout << answers.dump(2) << "\n";
  }
  const bool all_well = outcome(runs, result.answers);
  for (const auto& command_id : result.unanswered) std::cerr << "no answer yet for " << command_id << "\n";
  context.exit_code = all_well && result.unanswered.empty() ? kExitOk : kExitProblem;
}

void run_check(CliContext& context, const RunArgs& args) {
  json body = json::object();
  if (!args.worker.empty()) body["worker"] = args.worker;
  const auto path = "/api/v1/checks/" + http::percent_encode(args.name) + "/run";
  auto answer_of =
      lookup(poll_options(context.options), "/api/v1/checks/history", "checks", [](const json&) { return true; });
  run_and_wait(context, path, body, args, "check " + args.name, std::move(answer_of),
               [&args](const json& runs, const std::map<std::string, json>& answers) {
                 bool all_ok = true;
                 Table table({"WORKER", "STATE", "OUTPUT"});
                 for (const auto& run : runs) {
                   const auto it = answers.find(cell(run, "command_id"));
                   const bool answered = it != answers.end();
                   all_ok = all_ok && answered && cell(it->second, "state") == "OK";
                   table.add_row({cell(run, "worker_id"), answered ? cell(it->second, "state") : "NO ANSWER",
                                  answered ? short_output(it->second, "output") : "-"});
                 }
                 if (!args.json_output) std::cout << table.render();
                 return all_ok;
               });
}

void run_action(CliContext& context, const RunArgs& args) {
  json body = json::object();
  if (!args.worker.empty()) body["worker"] = args.worker;
  if (args.dry_run) body["dry_run"] = true;
  const auto path = "/api/v1/maintenance/" + http::percent_encode(args.name) + "/run";
  auto answer_of = lookup(poll_options(context.options), "/api/v1/maintenance/runs", "runs",
                          [](const json& run) { return run.value("status", "REQUESTED") != "REQUESTED"; });
  run_and_wait(context, path, body, args, "action " + args.name, std::move(answer_of),
               [&args](const json& runs, const std::map<std::string, json>& answers) {
                 bool all_ok = true;
                 for (const auto& run : runs) {
                   const auto it = answers.find(cell(run, "command_id"));
                   if (it == answers.end()) {
                     all_ok = false;
                     continue;
                   }
                   const auto& answer = it->second;
                   all_ok = all_ok && cell(answer, "status") == "OK";
                   if (args.json_output) continue;
                   std::cout << cell(answer, "worker_id") << " " << cell(answer, "status")
                             << (answer.value("dry_run", false) ? " (dry run)" : "") << ": " << cell(answer, "message")
                             << "\n";
                   const auto details = answer.value("details", json());
                   if (!details.is_null() && !details.empty()) std::cout << "  details: " << details.dump() << "\n";
                 }
                 return all_ok;
               });
}

void add_run_options(CLI::App* command, const std::shared_ptr<RunArgs>& args, const char* what) {
  command->add_option("name", args->name, std::string("The configured ") + what)->required();
  command->add_option("--worker", args->worker, "Only this worker (default: every online target)");
  command->add_flag("--wait", args->wait, "Wait for every worker's answer; exit 0 only if all went well");
  command->add_option("--wait-timeout", args->wait_seconds, "Seconds --wait waits for answers")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  command->add_flag("--json", args->json_output, "Print the API's JSON");
}

}  // namespace

RunWaitResult wait_for_runs(const json& runs, const RunWait& wait) {
  RunWaitResult result;
  std::vector<std::string> pending;
  for (const auto& run : runs)
    if (const auto id = cell(run, "command_id"); id != "-") pending.push_back(id);
  const auto total = pending.size();
  const auto give_up = std::chrono::steady_clock::now() + wait.deadline;
  while (true) {
    for (auto it = pending.begin(); it != pending.end();) {
      auto answer = wait.answer_of(*it);
      if (!answer) {
        result.error = answer.error();
        show_progress(wait.label + ": " + std::to_string(result.answers.size()) + "/" + std::to_string(total) +
                          " answered",
                      true);
        return result;
      }
      if (*answer) {
        result.answers.emplace(*it, std::move(**answer));
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    const bool done = pending.empty() || std::chrono::steady_clock::now() >= give_up;
    show_progress(wait.label + ": " + std::to_string(result.answers.size()) + "/" + std::to_string(total) +
                      (done ? " answered" : " answered…"),
                  done);
    if (done) break;
    std::this_thread::sleep_for(wait.poll_interval);
  }
  result.unanswered = std::move(pending);
  return result;
}

std::string render_check_table(const json& checks) {
  Table table({"WORKER", "CHECK", "STATE", "FOR", "LAST RUN", "OUTPUT"});
  for (const auto& c : checks)
    table.add_row({cell(c, "worker_id"), cell(c, "check"), cell(c, "state"),
                   format_duration(number_field(c, "state_age_seconds").value_or(-1)), age(c, "age_seconds"),
                   short_output(c, "output")});
  return table.render();
}

std::string render_check_history(const json& checks) {
  Table table({"AT", "WORKER", "CHECK", "STATE", "MS", "OUTPUT"});
  table.align(4, Table::Align::right);
  for (const auto& c : checks)
    table.add_row({cell(c, "at"), cell(c, "worker_id"), cell(c, "check"), cell(c, "state"), cell(c, "duration_ms"),
                   short_output(c, "output")});
  return table.render();
}

std::string render_task_table(const json& tasks) {
  Table table({"NAME", "TYPE", "TARGETS", "SCHEDULE", "TIMEOUT", "PARAMS"});
  for (const auto& t : tasks) {
    auto type = cell(t, t.contains("action") ? "action" : "type");
    if (t.value("dry_run", false)) type += " (dry run)";
    table.add_row({cell(t, "name"), type, targets(t), schedule_text(t), cell(t, "timeout"), params_text(t)});
  }
  return table.render();
}

std::string render_maintenance_runs(const json& runs) {
  Table table({"REQUESTED", "WORKER", "TASK", "ACTION", "STATUS", "MESSAGE"});
  for (const auto& r : runs) {
    auto status = cell(r, "status");
    if (r.value("dry_run", false)) status += " (dry)";
    table.add_row({cell(r, "requested_at"), cell(r, "worker_id"), cell(r, "task"), cell(r, "action"), status,
                   short_output(r, "message")});
  }
  return table.render();
}

std::string render_schedule_table(const json& schedules) {
  Table table({"TASK", "KIND", "WORKER", "NEXT RUN", "LAST FIRED", "LAST OUTCOME"});
  for (const auto& s : schedules)
    table.add_row({cell(s, "task"), cell(s, "kind"), cell(s, "worker_id"), cell(s, "next_run"), cell(s, "last_fired"),
                   cell(s, "last_outcome")});
  return table.render();
}

void add_check_commands(CLI::App& app, CliContext& context) {
  auto* check = app.add_subcommand("check", "Inspect and run checks");
  check->require_subcommand(1);

  auto* list = check->add_subcommand("list", "Latest result of every check on every worker");
  auto list_args = std::make_shared<ListArgs>();
  list->add_option("--state", list_args->state, "OK, WARNING, CRITICAL or UNKNOWN");
  list->add_option("--worker", list_args->worker, "Only this worker");
  list->add_flag("--json", list_args->json_output, "Print the API's JSON");
  list->callback([&context, list_args] {
    print_list(context,
               with_query("/api/v1/checks", {{"state", list_args->state}, {"worker", list_args->worker}}),
               "checks", "check list", list_args->json_output, render_check_table, "no check results");
  });

  auto* history = check->add_subcommand("history", "Past results of one check on one worker, newest first");
  auto history_args = std::make_shared<ListArgs>();
  history->add_option("--worker", history_args->worker, "Worker id")->required();
  history->add_option("--check", history_args->check, "Check name")->required();
  history->add_option("--limit", history_args->limit, "At most this many (default 200)")->check(CLI::Range(1u, 1000u));
  history->add_flag("--json", history_args->json_output, "Print the API's JSON");
  history->callback([&context, history_args] {
    const auto& a = *history_args;
    print_list(context,
               with_query("/api/v1/checks/history", {{"worker", a.worker},
                                                     {"check", a.check},
                                                     {"limit", a.limit ? std::to_string(a.limit) : ""}}),
               "checks", "check history", a.json_output, render_check_history, "no results");
  });

  auto* run = check->add_subcommand("run", "Run a configured check now");
  auto run_args = std::make_shared<RunArgs>();
  add_run_options(run, run_args, "check");
  run->callback([&context, run_args] { run_check(context, *run_args); });

  auto* action = app.add_subcommand("action", "Inspect and run maintenance actions");
  action->require_subcommand(1);
  add_list_command(action, "list", "The configured maintenance actions", context, "/api/v1/maintenance/actions",
                   "actions", "action list", render_task_table, "no maintenance actions configured");
  auto* runs = action->add_subcommand("runs", "Recent maintenance runs, newest first");
  auto runs_args = std::make_shared<ListArgs>();
  runs->add_option("--worker", runs_args->worker, "Only this worker");
  runs->add_option("--limit", runs_args->limit, "At most this many (default 100)")->check(CLI::Range(1u, 1000u));
  runs->add_flag("--json", runs_args->json_output, "Print the API's JSON");
  runs->callback([&context, runs_args] {
    const auto& a = *runs_args;
    print_list(context,
               with_query("/api/v1/maintenance/runs",
                          {{"worker", a.worker}, {"limit", a.limit ? std::to_string(a.limit) : ""}}),
               "runs", "action runs", a.json_output, render_maintenance_runs, "no maintenance runs");
  });
  auto* action_run = action->add_subcommand("run", "Run a configured maintenance action now");
  auto action_args = std::make_shared<RunArgs>();
  add_run_options(action_run, action_args, "maintenance action");
  action_run->add_flag("--dry-run", action_args->dry_run, "Report what it would do without doing it");
  action_run->callback([&context, action_args] { run_action(context, *action_args); });

  auto* schedule = app.add_subcommand("schedule", "Inspect check and maintenance schedules");
  schedule->require_subcommand(1);
  add_list_command(schedule, "list", "Every scheduled (task, worker) with its next run", context, "/api/v1/schedules",
                   "schedules", "schedule list", render_schedule_table, "nothing is scheduled");
}

}  // namespace baton::cli
