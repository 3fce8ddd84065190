#include "cli/case_commands.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/case_render.hpp"
#include "cli/conductor_client.hpp"
#include "common/http/url.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr auto kUnreachableLimit = std::chrono::seconds(30);
constexpr double kPollTimeoutSeconds = 5;

std::string string_field(const json& object, const char* key, const std::string& fallback) {
  const auto value = object.is_object() ? object.value(key, json()) : json();
  return value.is_string() ? value.get<std::string>() : fallback;
}

std::string case_path(const std::string& id) { return "/api/v1/cases/" + http::percent_encode(id); }

// Answers that are not the expected 2xx: 4xx is the conductor refusing
// (exit 1, with its reason), anything else an unusable conductor (exit 2).
int report_refusal(const CliContext& context, const ApiReply& reply, const std::string& what) {
  if (reply.status >= 400 && reply.status < 500) {
    std::cerr << what << ": " << error_reason(reply) << "\n";
    return kExitProblem;
  }
  return report_failure(context.options, make_error(Errc::decode, what + ": " + error_reason(reply)));
}

// The progress display for --wait: redrawn in place on a terminal, one line
// per change otherwise (logs, CI).
class ProgressDisplay {
 public:
  ProgressDisplay() : tty_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressDisplay() { finish(); }

  void show(const std::string& line) {
    if (line == last_) return;
    last_ = line;
    if (tty_) {
      std::cerr << "\r" << truncate_text(line, width() - 1) << "\x1b[K" << std::flush;
      drawn_ = true;
    } else {
      std::cerr << line << "\n" << std::flush;
    }
  }

  void finish() {
    if (drawn_) std::cerr << "\n" << std::flush;
    drawn_ = false;
  }

 private:
  static std::size_t width() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 10) return size.ws_col;
    return 100;
  }

  bool tty_;
  bool drawn_ = false;
  std::string last_;
};

// Polls the case until it ends. The conductor may restart meanwhile: only
// 30 s without an answer gives up.
int wait_for_case(const CliContext& context, const std::string& id, json& final_case) {
  auto options = context.options;
  options.timeout_seconds = std::min(options.timeout_seconds, kPollTimeoutSeconds);
  ProgressDisplay display;
  std::optional<std::chrono::steady_clock::time_point> unreachable_since;
  while (true) {
    auto reply = get_json(options, case_path(id));
    const bool answered = reply && reply->status < 500;
    if (!answered) {
      const auto now = std::chrono::steady_clock::now();
      if (!unreachable_since) unreachable_since = now;
      const auto error = reply ? make_error(Errc::unavailable, error_reason(*reply)) : reply.error();
      if (now - *unreachable_since > kUnreachableLimit) {
        display.finish();
        std::cerr << "gave up waiting for case " << id << " after "
                  << std::chrono::duration_cast<std::chrono::seconds>(kUnreachableLimit).count()
                  << " s without an answer\n";
        return report_failure(context.options, error);
      }
      display.show("case " + id + ": no answer from the conductor, retrying (" + error.message + ")");
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    unreachable_since.reset();
    if (reply->status != 200 || !reply->body.is_object()) {
      display.finish();
      return report_refusal(context, *reply, "case " + id);
    }
    display.show(render_progress_line(reply->body));
    if (const auto code = exit_code_for_case(reply->body)) {
      display.finish();
      final_case = std::move(reply->body);
      return *code;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

struct SubmitArgs {
  std::string workflow;
  std::vector<std::string> params;
  std::string id;
  int priority = 0;
  bool priority_given = false;
  bool wait = false;
  bool json_output = false;
};

void run_submit(CliContext& context, const SubmitArgs& args) {
  auto params = parse_params(args.params);
  if (!params) throw CLI::ValidationError("--param", params.error().message);
  json body = {{"workflow", args.workflow}, {"params", *params}};
  if (!args.id.empty()) body["id"] = args.id;
  if (args.priority_given) body["priority"] = args.priority;

  auto reply = post_json(context.options, "/api/v1/cases", body);
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return;
  }
  if ((reply->status != 200 && reply->status != 201) || !reply->body.is_object() ||
      !reply->body.value("id", json()).is_string()) {
    context.exit_code = report_refusal(context, *reply, "submit refused");
    return;
  }
  const auto id = reply->body["id"].get<std::string>();
  if (!args.json_output) {
    // Flushed now: with --wait the outcome comes minutes later.
    std::cout << id << " " << string_field(reply->body, "status", "?")
              << (reply->status == 200 ? " (already submitted)" : "") << std::endl;
  }
  if (!args.wait) {
    if (args.json_output) std::cout << reply->body.dump(2) << "\n";
    return;
  }
  json final_case;
  context.exit_code = wait_for_case(context, id, final_case);
  if (final_case.is_null()) return;
  std::cout << (args.json_output ? final_case.dump(2) : render_case_outcome(final_case)) << "\n";
}

void run_list(CliContext& context, const std::string& status, const std::string& workflow, unsigned limit,
              bool json_output) {
  std::string query;
  const auto add = [&query](const char* name, const std::string& value) {
    if (!value.empty()) query += (query.empty() ? "?" : "&") + std::string(name) + "=" + http::percent_encode(value);
  };
  add("status", status);
  add("workflow", workflow);
  add("limit", limit > 0 ? std::to_string(limit) : "");
  auto reply = get_json(context.options, "/api/v1/cases" + query);
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return;
  }
  if (reply->status != 200 || !reply->body.is_object() || !reply->body["cases"].is_array()) {
    context.exit_code = report_refusal(context, *reply, "cannot list cases");
    return;
  }
  const auto& cases = reply->body["cases"];
  if (json_output) {
    std::cout << cases.dump(2) << "\n";
  } else if (cases.empty()) {
    std::cout << "no cases\n";
  } else {
    std::cout << render_case_table(cases);
  }
}

void run_show(CliContext& context, const std::string& id, bool json_output) {
  auto reply = get_json(context.options, case_path(id));
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return;
  }
  if (reply->status != 200 || !reply->body.is_object()) {
    context.exit_code = report_refusal(context, *reply, "case " + id);
    return;
  }
  std::cout << (json_output ? reply->body.dump(2) + "\n" : render_case_details(reply->body));
}

// cancel and retry: the API answers 202 with {"id", "status"}.
void run_action(CliContext& context, const std::string& id, const std::string& action, const json& body) {
  auto reply = post_json(context.options, case_path(id) + "/" + action, body);
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return;
  }
  if (reply->status != 202 && reply->status != 200) {
    context.exit_code = report_refusal(context, *reply, action + " refused");
    return;
  }
  std::cout << "case " << id << ": " << string_field(reply->body, "status", "accepted") << "\n";
}

}  // namespace

Result<std::map<std::string, std::string>> parse_params(const std::vector<std::string>& pairs) {
  std::map<std::string, std::string> out;
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(Errc::invalid_argument, "\"" + pair + "\" is not NAME=VALUE");
    if (!out.emplace(pair.substr(0, eq), pair.substr(eq + 1)).second)
      return make_error(Errc::invalid_argument, "parameter " + pair.substr(0, eq) + " is given twice");
  }
  return out;
}

void add_case_commands(CLI::App& app, CliContext& context) {
  auto* group = app.add_subcommand("case", "Submit, inspect and control cases");
  group->require_subcommand(1);

  auto* submit = group->add_subcommand("submit", "Submit a case: run a workflow with parameters");
  auto submit_args = std::make_shared<SubmitArgs>();
  submit->add_option("--workflow", submit_args->workflow, "Workflow to run")->required();
  submit->add_option("--param", submit_args->params, "Workflow parameter NAME=VALUE (repeatable)");
  submit->add_option("--id", submit_args->id, "Case id; resubmitting the same id and params changes nothing");
  auto* priority = submit->add_option("--priority", submit_args->priority, "Higher runs first (default 0)");
  submit->add_flag("--wait", submit_args->wait, "Follow the case until it ends; exit 0 only if it completed");
  submit->add_flag("--json", submit_args->json_output, "Print the API's JSON (the final case with --wait)");
  submit->callback([&context, submit_args, priority] {
    submit_args->priority_given = priority->count() > 0;
    run_submit(context, *submit_args);
  });

  auto* list = group->add_subcommand("list", "List cases, newest first");
  struct ListArgs {
    std::string status, workflow;
    unsigned limit = 0;
    bool json_output = false;
  };
  auto list_args = std::make_shared<ListArgs>();
  list->add_option("--status", list_args->status, "QUEUED, PROCESSING, EXECUTING, COMPLETED, FAILED or CANCELLED");
  list->add_option("--workflow", list_args->workflow, "Only cases of this workflow");
  list->add_option("--limit", list_args->limit, "At most this many (the conductor's default is 200)")
      ->check(CLI::Range(1u, 1000u));
  list->add_flag("--json", list_args->json_output, "Print the API's JSON");
  list->callback([&context, list_args] {
    run_list(context, list_args->status, list_args->workflow, list_args->limit, list_args->json_output);
  });

  auto* show = group->add_subcommand("show", "Show one case with its history and step attempts");
  auto show_id = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("id", *show_id, "Case id")->required();
  show->add_flag("--json", *show_json, "Print the API's JSON");
  show->callback([&context, show_id, show_json] { run_show(context, *show_id, *show_json); });

  auto* cancel = group->add_subcommand("cancel", "Cancel a case; a running step is stopped on its worker");
  auto cancel_id = std::make_shared<std::string>();
  auto cancel_reason = std::make_shared<std::string>();
  cancel->add_option("id", *cancel_id, "Case id")->required();
  cancel->add_option("--reason", *cancel_reason, "Recorded in the case's history");
  cancel->callback([&context, cancel_id, cancel_reason] {
    json body = json::object();
    if (!cancel_reason->empty()) body["reason"] = *cancel_reason;
    run_action(context, *cancel_id, "cancel", body);
  });

  auto* retry = group->add_subcommand("retry", "Queue a FAILED or CANCELLED case again at the step where it stopped");
  auto retry_id = std::make_shared<std::string>();
  retry->add_option("id", *retry_id, "Case id")->required();
  retry->callback([&context, retry_id] { run_action(context, *retry_id, "retry", json::object()); });
}

}  // namespace baton::cli
