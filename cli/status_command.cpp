#include "cli/status_command.hpp"

#include <iostream>

#include "cli/conductor_client.hpp"
#include "cli/format.hpp"
#include "cli/table.hpp"

namespace baton::cli {

namespace {

std::string text_at(const nlohmann::json& object, const char* key, const char* fallback = "unknown") {
  const auto it = object.is_object() ? object.find(key) : object.end();
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

std::string render_health(const nlohmann::json& health) {
  const auto& components = health.value("components", nlohmann::json::object());
  const auto& database = components.value("database", nlohmann::json::object());
  const auto& broker = components.value("broker", nlohmann::json::object());
  const auto& workers = components.value("workers", nlohmann::json::object());

  std::string header = "conductor is " + text_at(health, "status");
  header += " (version " + text_at(health, "version") + ", up " +
            format_duration(number_field(health, "uptime_seconds").value_or(-1)) + ")\n";

  Table table({"COMPONENT", "STATUS", "DETAIL"});
  table.add_row({"database", text_at(database, "status"), text_at(database, "error", "")});
  table.add_row({"broker", text_at(broker, "status"), ""});
  table.add_row({"workers", "",
                 format_number(number_field(workers, "online"), 0) + " online, " +
                     format_number(number_field(workers, "offline"), 0) + " offline"});

  std::string out = header + table.render();
  const auto reasons = health.value("reasons", nlohmann::json::array());
  if (reasons.is_array() && !reasons.empty()) {
    out += "reasons:\n";
    for (const auto& reason : reasons) out += "  - " + (reason.is_string() ? reason.get<std::string>() : reason.dump()) + "\n";
  }
  return out;
}

int exit_code_for_health(const nlohmann::json& health) {
  const auto status = text_at(health, "status");
  if (status == "healthy") return kExitOk;
  if (status == "degraded") return kExitProblem;
  return kExitUnavailable;
}

void add_status_command(CLI::App& app, CliContext& context) {
  auto* command = app.add_subcommand("status", "Show the conductor's health");
  auto json_output = std::make_shared<bool>(false);
  command->add_flag("--json", *json_output, "Print the /health document");
  command->callback([&context, json_output] {
    auto reply = get_json(context.options, "/health");
    if (!reply) {
      context.exit_code = report_failure(context.options, reply.error());
      return;
    }
    if (!reply->body.is_object() || !reply->body.contains("status")) {
      context.exit_code = report_failure(
          context.options, make_error(Errc::decode, "HTTP " + std::to_string(reply->status) + ": " + reply->body.dump()));
      return;
    }
    std::cout << (*json_output ? reply->body.dump(2) + "\n" : render_health(reply->body));
    context.exit_code = exit_code_for_health(reply->body);
  });
}

}  // namespace baton::cli
