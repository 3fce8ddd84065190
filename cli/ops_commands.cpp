#include "cli/ops_commands.hpp"

#include <chrono>
#include <fstream>
#include <iostream>

#include "cli/format.hpp"
#include "cli/table.hpp"
#include "common/http/client.hpp"
#include "common/http/url.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

// A backup copies the whole database; the usual request timeout is too short.
constexpr double kBackupTimeoutSeconds = 900;

std::string fullest_disk(const json& worker) {
  const auto disks = worker.value("disks", json::array());
  const json* fullest = nullptr;
  for (const auto& disk : disks)
    if (!fullest || number_field(disk, "used_percent") > number_field(*fullest, "used_percent")) fullest = &disk;
  if (!fullest) return "-";
  return cell(*fullest, "path") + " " + format_number(number_field(*fullest, "used_percent")) + "%";
}

std::string failing_names(const json& worker) {
  std::string out;
  for (const auto& check : worker.value("failing_checks", json::array()))
    out += (out.empty() ? "" : ",") + cell(check, "check") + "(" + cell(check, "state") + ")";
  return out.empty() ? "-" : out;
}

size_t count(const json& report, const char* key) {
  const auto it = report.find(key);
  return it != report.end() && it->is_array() ? it->size() : 0;
}

void run_report(CliContext& context, std::string output) {
  auto body = expect_answer(context, get_json(context.options, "/api/v1/report"), {200}, "report");
  if (!body) return;
  if (output.empty()) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    output = default_report_file(local);
  }
  std::ofstream file(output, std::ios::trunc);
  file << body->dump(2) << "\n";
  file.close();
  if (!file) {
    std::cerr << "cannot write the report to " << output << "\n";
    context.exit_code = kExitProblem;
    return;
  }
  std::cout << render_report_summary(*body) << "report written to " << output << "\n";
}

void run_backup(CliContext& context, const std::string& path) {
  auto options = context.options;
  options.timeout_seconds = std::max(options.timeout_seconds, kBackupTimeoutSeconds);
  auto body = expect_answer(context, post_json(options, "/api/v1/db/backup", json{{"path", path}}), {200, 201},
                            "backup refused");
  if (!body) return;
  std::cout << "backed up to " << cell(*body, "path") << " ("
            << format_bytes(number_field(*body, "bytes").value_or(-1)) << ", integrity " << cell(*body, "integrity")
            << ")\n";
}

void run_db_check(CliContext& context, bool json_output) {
  auto body = expect_answer(context, get_json(context.options, "/api/v1/db/check"), {200}, "db check");
  if (!body) return;
  std::cout << (json_output ? body->dump(2) + "\n" : render_db_check(*body));
  if (!body->value("ok", false)) context.exit_code = kExitProblem;
}

}  // namespace

std::string default_report_file(const std::tm& local_date) {
  char name[64];
  std::strftime(name, sizeof name, "daily_health_%Y%m%d.json", &local_date);
  return name;
}

std::string render_report_summary(const json& report) {
  std::string out =
      "overall: " + cell(report, "overall_status") + " (generated " + cell(report, "generated_at") + ")\n";
  for (const auto& reason : report.value("status_reasons", json::array()))
    out += "  - " + (reason.is_string() ? reason.get<std::string>() : reason.dump()) + "\n";

  const auto workers = report.value("workers", json::array());
  if (!workers.empty()) {
    Table table({"WORKER", "STATUS", "SCORE", "CPU%", "MEM%", "LOAD%", "FULLEST DISK", "FAILING CHECKS"});
    for (const std::size_t column : {2, 3, 4, 5}) table.align(column, Table::Align::right);
    for (const auto& w : workers)
      table.add_row({cell(w, "id"), cell(w, "status"), format_number(number_field(w, "health_score")),
                     format_number(number_field(w, "cpu_percent")), format_number(number_field(w, "memory_percent")),
                     format_number(number_field(w, "load_percent")), fullest_disk(w), failing_names(w)});
    out += table.render();
  }
  const auto cases = report.value("cases", json::object());
  out += "failing checks: " + std::to_string(count(report, "failing_checks")) +
         ", open alerts: " + std::to_string(count(report, "open_alerts")) +
         ", stuck cases: " + std::to_string(count(cases, "stuck")) + "\n";
  const auto advice = report.value("recommendations", json::array());
  if (!advice.empty()) {
    out += "recommendations:\n";
    for (const auto& line : advice) out += "  - " + (line.is_string() ? line.get<std::string>() : line.dump()) + "\n";
  }
  return out;
}

std::string render_db_check(const json& check) {
  std::string out = std::string(check.value("ok", false) ? "database is intact" : "database has problems") + " (" +
                    cell(check, "mode") + " of " + cell(check, "path") + ")\n";
  out += "schema version " + cell(check, "schema_version") + ", " +
         format_bytes(number_field(check, "size_bytes").value_or(-1)) + " + " +
         format_bytes(number_field(check, "wal_bytes").value_or(-1)) + " WAL\n";
  for (const auto& problem : check.value("problems", json::array()))
    out += "  - " + (problem.is_string() ? problem.get<std::string>() : problem.dump()) + "\n";
  return out;
}

std::string with_query(std::string path, std::initializer_list<std::pair<const char*, std::string>> params) {
  char separator = '?';
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    path += separator + std::string(name) + "=" + http::percent_encode(value);
    separator = '&';
  }
  return path;
}

void print_list(CliContext& context, const std::string& path, const char* member, const std::string& what,
                bool json_output, const Render& render, const char* empty) {
  auto body = expect_answer(context, get_json(context.options, path), {200}, what);
  if (!body) return;
  const auto items = body->value(member, json::array());
  if (json_output) {
    std::cout << items.dump(2) << "\n";
  } else {
    std::cout << (items.empty() ? std::string(empty) + "\n" : render(items));
  }
}

void add_list_command(CLI::App* parent, const char* name, const char* description, CliContext& context,
                      std::string path, const char* member, std::string what, Render render, const char* empty) {
  auto* list = parent->add_subcommand(name, description);
  auto json_output = std::make_shared<bool>(false);
  list->add_flag("--json", *json_output, "Print the API's JSON");
  list->callback([&context, json_output, path = std::move(path), member, what = std::move(what),
                  render = std::move(render), empty] {
    print_list(context, path, member, what, *json_output, render, empty);
  });
}

std::optional<json> expect_answer(CliContext& context, const Result<ApiReply>& reply,
                                  std::initializer_list<int> expected, const std::string& what) {
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return std::nullopt;
  }
  const bool wanted = std::find(expected.begin(), expected.end(), reply->status) != expected.end();
  if (wanted && reply->body.is_object()) return reply->body;
  if (reply->status >= 400 && reply->status < 500) {
    std::cerr << what << ": " << error_reason(*reply) << "\n";
    context.exit_code = kExitProblem;
  } else {
    context.exit_code = report_failure(context.options, make_error(Errc::decode, what + ": " + error_reason(*reply)));
  }
  return std::nullopt;
}

void usage_error(CliContext& context, const std::string& message) {
  std::cerr << message << "\n";
  context.exit_code = kExitUnavailable;
}

std::string cell(const json& object, const char* key) {
  if (!object.is_object()) return "-";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty())) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string joined(const json& list) {
  std::string out;
  if (list.is_array())
    for (const auto& item : list)
      if (item.is_string() && !item.get_ref<const std::string&>().empty())
        out += (out.empty() ? "" : ",") + item.get<std::string>();
  return out.empty() ? "-" : out;
}

void add_ops_commands(CLI::App& app, CliContext& context) {
  auto* db = app.add_subcommand("db", "Back up and check the conductor's database");
  db->require_subcommand(1);
  auto* backup = db->add_subcommand("backup", "Online copy of the conductor DB, integrity-checked");
  auto backup_path = std::make_shared<std::string>();
  backup->add_option("path", *backup_path, "Absolute path on the conductor's host; must not exist")->required();
  backup->callback([&context, backup_path] { run_backup(context, *backup_path); });

  auto* check = db->add_subcommand("check", "PRAGMA quick_check of the conductor DB; exit 1 on problems");
  auto check_json = std::make_shared<bool>(false);
  check->add_flag("--json", *check_json, "Print the API's JSON");
  check->callback([&context, check_json] { run_db_check(context, *check_json); });

  auto* report = app.add_subcommand("report", "Write the daily health report and summarise it");
  auto output = std::make_shared<std::string>();
  report->add_option("--output,-o", *output, "File to write (default daily_health_YYYYMMDD.json, today's date)");
  report->callback([&context, output] { run_report(context, *output); });
}

}  // namespace baton::cli
