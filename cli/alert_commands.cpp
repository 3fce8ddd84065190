#include "cli/alert_commands.hpp"

#include <cstdlib>
#include <iostream>

#include "cli/case_render.hpp"
#include "cli/conductor_client.hpp"
#include "cli/format.hpp"
#include "cli/ops_commands.hpp"
#include "cli/table.hpp"
#include "common/http/url.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kTextWidth = 50;

std::string short_text(const json& object, const char* key) { return truncate_text(cell(object, key), kTextWidth); }

std::string alert_subject(const json& a) {
  if (cell(a, "check") != "-") return cell(a, "check") + "@" + cell(a, "worker_id");
  if (cell(a, "case_id") != "-") return "case " + cell(a, "case_id");
  return cell(a, "worker_id");
}

// What holds the alert's notifications back, if anything.
std::string alert_flags(const json& a) {
  std::string out;
  for (const auto* flag : {"acknowledged", "silenced", "in_maintenance", "flapping", "dependent"})
    if (a.value(flag, false)) out += (out.empty() ? "" : ",") + std::string(flag);
  return out.empty() ? "-" : out;
}

// The time and whether it is a duration or an end are the conductor's to
// judge; here only "one of the two" is checked.
Status add_end(json& body, const std::string& duration, const std::string& end, const std::string& start) {
  if (duration.empty() == end.empty())
    return make_error(Errc::invalid_argument, "give --duration or --end (one of them)");
  if (!duration.empty()) body["duration"] = duration;
  if (!end.empty()) body["ends_at"] = end;
  if (!start.empty()) body["starts_at"] = start;
  return {};
}

void run_show(CliContext& context, const std::string& id, bool json_output) {
  auto body = expect_answer(context, get_json(context.options, "/api/v1/alerts/" + http::percent_encode(id)), {200},
                            "alert " + id);
  if (!body) return;
  std::cout << (json_output ? body->dump(2) + "\n" : render_alert_details(*body));
}

struct AckArgs {
  std::string id, comment, until, author;
};

void run_ack(CliContext& context, const AckArgs& args) {
  json body = {{"comment", args.comment}, {"author", args.author.empty() ? default_author() : args.author}};
  if (!args.until.empty()) body["until"] = args.until;
  auto alert = expect_answer(
      context, post_json(context.options, "/api/v1/alerts/" + http::percent_encode(args.id) + "/ack", body), {200},
      "ack refused");
  if (!alert) return;
  const auto ack = alert->value("ack", json::object());
  std::cout << "alert " << cell(*alert, "id") << " acknowledged by " << cell(ack, "author")
            << (cell(ack, "until") == "-" ? "" : " until " + cell(ack, "until")) << "\n";
}

void run_add(CliContext& context, const std::string& path, const Result<json>& body, const std::string& what) {
  if (!body) return usage_error(context, body.error().message);
  auto added = expect_answer(context, post_json(context.options, path, *body), {200, 201}, what + " refused");
  if (!added) return;
  std::cout << what << " " << cell(*added, "id") << " from " << cell(*added, "starts_at") << " until "
            << cell(*added, "ends_at") << "\n";
}

void run_remove(CliContext& context, const std::string& path, const std::string& id, const std::string& what) {
  auto ended = expect_answer(context, delete_json(context.options, path + "/" + http::percent_encode(id)), {200},
                             "cannot end " + what + " " + id);
  if (!ended) return;
  std::cout << what << " " << id << " ended\n";
}

}  // namespace

std::string default_author() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "batonctl";
}

Result<json> silence_body(const SilenceArgs& args) {
  if (args.worker.empty() && args.check.empty() && args.label.empty() && args.severity.empty())
    return make_error(Errc::invalid_argument,
                      "a silence needs --worker, --check, --label or --severity (--worker '*' silences everything)");
  if (args.comment.empty()) return make_error(Errc::invalid_argument, "--comment is required: say why");
  json body = json::object();
  for (const auto& [key, value] : {std::pair{"worker", &args.worker}, std::pair{"check", &args.check},
                                   std::pair{"label", &args.label}, std::pair{"severity", &args.severity}})
    if (!value->empty()) body[key] = *value;
  if (auto st = add_end(body, args.duration, args.end, args.start); !st) return st.error();
  if (args.expire_on_resolve) body["expire_on_resolve"] = true;
  body["comment"] = args.comment;
  body["author"] = args.author.empty() ? default_author() : args.author;
  return body;
}

Result<json> window_body(const WindowArgs& args) {
  if (args.workers.empty() && args.labels.empty())
    return make_error(Errc::invalid_argument, "a maintenance window needs --worker or --label (globs such as gpu-*)");
  if (args.comment.empty()) return make_error(Errc::invalid_argument, "--comment is required: say why");
  json body = json::object();
  if (!args.workers.empty()) body["workers"] = args.workers;
  if (!args.labels.empty()) body["labels"] = args.labels;
  if (auto st = add_end(body, args.duration, args.end, args.start); !st) return st.error();
  body["comment"] = args.comment;
  body["author"] = args.author.empty() ? default_author() : args.author;
  return body;
}

std::string render_alert_table(const json& alerts) {
  Table table({"ID", "SEVERITY", "STATE", "SUBJECT", "LAST", "AGE", "FLAGS", "OUTPUT"});
  table.align(0, Table::Align::right);
  for (const auto& a : alerts)
    table.add_row({cell(a, "id"), cell(a, "severity"), cell(a, "state"), alert_subject(a), cell(a, "last_state"),
                   format_duration(number_field(a, "age_seconds").value_or(-1)), alert_flags(a),
                   short_text(a, "last_output")});
  return table.render();
}

std::string render_alert_details(const json& a) {
  Table fields({"FIELD", "VALUE"});
  fields.add_row({"id", cell(a, "id")});
  fields.add_row({"key", cell(a, "key")});
  fields.add_row({"subject", alert_subject(a)});
  fields.add_row({"severity", cell(a, "severity")});
  fields.add_row({"state", cell(a, "state") + (a.value("hard", false) ? " (hard)" : " (soft)")});
  fields.add_row({"last state", cell(a, "last_state")});
  fields.add_row({"flags", alert_flags(a)});
  const auto ack = a.value("ack", json());
  if (ack.is_object())
    fields.add_row({"ack", cell(ack, "author") + ": " + cell(ack, "comment") +
                               (cell(ack, "until") == "-" ? "" : " (until " + cell(ack, "until") + ")")});
  fields.add_row({"escalation level", cell(a, "escalation_level")});
  fields.add_row({"first seen", cell(a, "first_seen")});
  fields.add_row({"last seen", cell(a, "last_seen")});
  fields.add_row({"resolved", cell(a, "resolved_at")});
  fields.add_row({"output", cell(a, "last_output")});
  std::string out = fields.render();
  out = out.substr(out.find('\n') + 1);

  const auto events = a.value("events", json::array());
  if (!events.empty()) {
    Table table({"AT", "EVENT", "MESSAGE"});
    for (const auto& e : events) table.add_row({cell(e, "at"), cell(e, "type"), cell(e, "message")});
    out += "\nevents:\n" + table.render();
  }
  const auto notifications = a.value("notifications", json::array());
  if (!notifications.empty()) {
    Table table({"AT", "CHANNEL", "LEVEL", "KIND", "OUTCOME", "ERROR"});
    for (const auto& n : notifications)
      table.add_row({cell(n, "at"), cell(n, "channel"), cell(n, "level"), cell(n, "kind"), cell(n, "outcome"),
                     cell(n, "error")});
    out += "\nnotifications:\n" + table.render();
  }
  return out;
}

std::string render_silence_table(const json& silences) {
  Table table({"ID", "MATCHES", "FROM", "UNTIL", "ACTIVE", "AUTHOR", "COMMENT"});
  table.align(0, Table::Align::right);
  for (const auto& s : silences) {
    std::string matches;
    const auto matchers = s.value("matchers", json::object());
    for (const auto* key : {"worker", "check", "label", "severity"})
      if (const auto value = cell(matchers, key); value != "-")
        matches += (matches.empty() ? "" : " ") + std::string(key) + "=" + value;
    if (s.value("expire_on_resolve", false)) matches += " (until resolved)";
    table.add_row({cell(s, "id"), matches.empty() ? "-" : matches, cell(s, "starts_at"), cell(s, "ends_at"),
                   s.value("active", false) ? "yes" : "no", cell(s, "author"), short_text(s, "comment")});
  }
  return table.render();
}

std::string render_window_table(const json& windows) {
  Table table({"ID", "WORKERS", "LABELS", "FROM", "UNTIL", "ACTIVE", "AUTHOR", "COMMENT"});
  table.align(0, Table::Align::right);
  for (const auto& w : windows)
    table.add_row({cell(w, "id"), joined(w.value("workers", json::array())), joined(w.value("labels", json::array())),
                   cell(w, "starts_at"), cell(w, "ends_at"), w.value("active", false) ? "yes" : "no",
                   cell(w, "author"), short_text(w, "comment")});
  return table.render();
}

std::string render_remediation_table(const json& runs) {
  Table table({"ID", "STARTED", "ACTION", "WORKER", "ALERT", "OUTCOME", "TOOK", "MESSAGE"});
  table.align(0, Table::Align::right);
  for (const auto& r : runs)
    table.add_row({cell(r, "id"), cell(r, "started_at"), cell(r, "action"), cell(r, "worker_id"), cell(r, "alert_key"),
                   cell(r, "outcome"), format_duration(number_field(r, "duration_seconds").value_or(-1)),
                   short_text(r, "message")});
  return table.render();
}

void add_alert_commands(CLI::App& app, CliContext& context) {
  auto* alert = app.add_subcommand("alert", "Inspect and acknowledge alerts");
  alert->require_subcommand(1);
  auto* list = alert->add_subcommand("list", "Open alerts, newest first");
  auto list_all = std::make_shared<bool>(false);
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--all", *list_all, "Resolved ones too");
  list->add_flag("--json", *list_json, "Print the API's JSON");
  list->callback([&context, list_all, list_json] {
    print_list(context, *list_all ? "/api/v1/alerts?all=1" : "/api/v1/alerts", "alerts", "alert list", *list_json,
               render_alert_table, *list_all ? "no alerts" : "no open alerts");
  });
  auto* show = alert->add_subcommand("show", "One alert with its events and notifications");
  auto show_id = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("id", *show_id, "Alert id")->required();
  show->add_flag("--json", *show_json, "Print the API's JSON");
  show->callback([&context, show_id, show_json] { run_show(context, *show_id, *show_json); });
  auto* ack = alert->add_subcommand("ack", "Acknowledge an alert: escalation stops until it ends");
  auto ack_args = std::make_shared<AckArgs>();
  ack->add_option("id", ack_args->id, "Alert id")->required();
  ack->add_option("--comment", ack_args->comment, "Why, for whoever looks next")->required();
  ack->add_option("--until", ack_args->until, "A duration (2h) or an ISO-8601 time; default until it resolves");
  ack->add_option("--author", ack_args->author, "Recorded as the acknowledger (default $USER)");
  ack->callback([&context, ack_args] { run_ack(context, *ack_args); });

  auto* silence = app.add_subcommand("silence", "Hold notifications for matching alerts");
  silence->require_subcommand(1);
  auto* add = silence->add_subcommand("add", "Silence alerts matching every given matcher (globs)");
  auto s = std::make_shared<SilenceArgs>();
  add->add_option("--worker", s->worker, "Worker id glob");
  add->add_option("--check", s->check, "Check name glob");
  add->add_option("--label", s->label, "Worker label glob");
  add->add_option("--severity", s->severity, "low, medium, high or critical");
  add->add_option("--duration", s->duration, "How long, such as 2h");
  add->add_option("--end", s->end, "Or an ISO-8601 end");
  add->add_option("--start", s->start, "ISO-8601 start (default now)");
  add->add_flag("--expire-on-resolve", s->expire_on_resolve, "End it when a matching alert resolves");
  add->add_option("--comment", s->comment, "Why")->required();
  add->add_option("--author", s->author, "Default $USER");
  add->callback([&context, s] { run_add(context, "/api/v1/silences", silence_body(*s), "silence"); });
  add_list_command(silence, "list", "Silences not yet over", context, "/api/v1/silences", "silences", "silence list",
                   render_silence_table, "no silences");
  auto* unsilence = silence->add_subcommand("remove", "End a silence now");
  auto silence_id = std::make_shared<std::string>();
  unsilence->add_option("id", *silence_id, "Silence id")->required();
  unsilence->callback([&context, silence_id] { run_remove(context, "/api/v1/silences", *silence_id, "silence"); });

  auto* maintenance = app.add_subcommand("maintenance", "Maintenance windows: no alerts, no scheduled runs");
  maintenance->require_subcommand(1);
  auto* open = maintenance->add_subcommand("add", "Put workers (by id or label glob) in maintenance");
  auto w = std::make_shared<WindowArgs>();
  open->add_option("--worker", w->workers, "Worker id glob (repeatable)");
  open->add_option("--label", w->labels, "Worker label glob (repeatable)");
  open->add_option("--duration", w->duration, "How long, such as 2h");
  open->add_option("--end", w->end, "Or an ISO-8601 end");
  open->add_option("--start", w->start, "ISO-8601 start (default now)");
  open->add_option("--comment", w->comment, "Why")->required();
  open->add_option("--author", w->author, "Default $USER");
  open->callback(
      [&context, w] { run_add(context, "/api/v1/maintenance-windows", window_body(*w), "maintenance window"); });
  add_list_command(maintenance, "list", "Maintenance windows not yet over", context, "/api/v1/maintenance-windows",
                   "maintenance_windows", "maintenance list", render_window_table, "no maintenance windows");
  auto* close = maintenance->add_subcommand("remove", "End a maintenance window now");
  auto window_id = std::make_shared<std::string>();
  close->add_option("id", *window_id, "Window id")->required();
  close->callback([&context, window_id] {
    run_remove(context, "/api/v1/maintenance-windows", *window_id, "maintenance window");
  });

  auto* remediation = app.add_subcommand("remediation", "Automatic remediation runs");
  remediation->require_subcommand(1);
  add_list_command(remediation, "list", "Recent remediation runs, newest first", context, "/api/v1/remediations",
                   "remediations", "remediation list", render_remediation_table, "no remediation runs");
}

}  // namespace baton::cli
