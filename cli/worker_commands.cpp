#include "cli/worker_commands.hpp"

#include <iostream>

#include "cli/conductor_client.hpp"
#include "cli/format.hpp"
#include "cli/table.hpp"
#include "common/http/url.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty())) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string join_labels(const json& worker) {
  std::string out;
  for (const auto& label : worker.value("labels", json::array())) {
    if (!label.is_string()) continue;
    out += (out.empty() ? "" : ",") + label.get<std::string>();
  }
  return out.empty() ? "-" : out;
}

// Heartbeat values come in protobuf's JSON mapping, which leaves out
// zero-valued fields; once a worker has reported anything, absent means 0.
struct ResourceView {
  std::optional<double> cpu_percent, memory_percent, load1, memory_total, memory_available;
};

ResourceView resource_view(const json& worker) {
  const auto resources = worker.value("resources", json::object());
  if (!resources.is_object() || resources.empty()) return {};
  ResourceView view;
  view.cpu_percent = number_field(resources, "cpu_percent", "cpuPercent").value_or(0);
  view.load1 = number_field(resources, "load1").value_or(0);
  view.memory_total = number_field(resources, "memory_total_bytes", "memoryTotalBytes");
  view.memory_available = number_field(resources, "memory_available_bytes", "memoryAvailableBytes").value_or(0);
  if (view.memory_total && *view.memory_total > 0) {
    view.memory_percent = (*view.memory_total - *view.memory_available) / *view.memory_total * 100.0;
  }
  return view;
}

std::string gpu_summary(const json& worker) {
  const auto gpus = worker.value("gpus", json::array());
  return gpus.is_array() && !gpus.empty() ? std::to_string(gpus.size()) : "-";
}

std::string slots(const json& worker) { return text(worker, "free_slots") + "/" + text(worker, "slots"); }

std::string last_seen(const json& worker) {
  return format_age(number_field(worker, "heartbeat_age_seconds").value_or(-1));
}

void run_list(CliContext& context, bool json_output) {
  auto reply = get_json(context.options, "/api/v1/workers");
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return;
  }
  if (reply->status != 200 || !reply->body.contains("workers")) {
    context.exit_code = report_failure(context.options, make_error(Errc::decode, "HTTP " + std::to_string(reply->status) +
                                                                                     ": " + reply->body.dump()));
    return;
  }
  const auto& workers = reply->body["workers"];
  if (json_output) {
    std::cout << workers.dump(2) << "\n";
  } else if (workers.empty()) {
    std::cout << "no workers registered yet\n";
  } else {
    std::cout << render_worker_table(workers);
  }
}

void run_show(CliContext& context, const std::string& id, bool json_output) {
  auto reply = get_json(context.options, "/api/v1/workers/" + http::percent_encode(id));
  if (!reply) {
    context.exit_code = report_failure(context.options, reply.error());
    return;
  }
  if (reply->status == 404) {
    std::cerr << reply->body.value("error", "no worker named " + id) << "\n";
    context.exit_code = kExitProblem;
    return;
  }
  if (reply->status != 200 || !reply->body.is_object()) {
    context.exit_code = report_failure(context.options, make_error(Errc::decode, "HTTP " + std::to_string(reply->status) +
                                                                                     ": " + reply->body.dump()));
    return;
  }
  std::cout << (json_output ? reply->body.dump(2) + "\n" : render_worker_details(reply->body));
}

}  // namespace

std::string render_worker_table(const json& workers) {
  Table table({"ID", "STATUS", "HOST", "LABELS", "SLOTS", "CPU%", "MEM%", "LOAD1", "GPUS", "LAST SEEN"});
  for (const std::size_t column : {4, 5, 6, 7, 8}) table.align(column, Table::Align::right);
  for (const auto& worker : workers) {
    if (!worker.is_object()) continue;
    const auto resources = resource_view(worker);
    table.add_row({text(worker, "id"), text(worker, "status"), text(worker, "hostname"), join_labels(worker),
                   slots(worker), format_number(resources.cpu_percent), format_number(resources.memory_percent),
                   format_number(resources.load1, 2), gpu_summary(worker), last_seen(worker)});
  }
  return table.render();
}

std::string render_worker_details(const json& worker) {
  const auto resources = resource_view(worker);
  Table table({"FIELD", "VALUE"});
  table.add_row({"id", text(worker, "id")});
  std::string status = text(worker, "status");
  const auto reason = worker.value("offline_reason", std::string());
  if (status == "offline" && !reason.empty()) status += " (" + reason + ")";
  table.add_row({"status", status});
  table.add_row({"host", text(worker, "hostname")});
  table.add_row({"version", text(worker, "version")});
  table.add_row({"labels", join_labels(worker)});
  table.add_row({"slots", slots(worker) + " free"});
  table.add_row({"cpu", format_number(resources.cpu_percent) + "%"});
  table.add_row({"memory", resources.memory_total ? format_number(resources.memory_percent) + "% of " +
                                                        format_bytes(*resources.memory_total)
                                                  : "-"});
  table.add_row({"load1", format_number(resources.load1, 2)});
  table.add_row({"gpus", gpu_summary(worker)});
  table.add_row({"heartbeat", text(worker, "heartbeat_interval_ms") + " ms"});
  table.add_row({"first seen", text(worker, "first_seen")});
  table.add_row({"last seen", text(worker, "last_seen") + " (" + last_seen(worker) + ")"});
  table.add_row({"status since", text(worker, "status_changed_at")});

  std::string out = table.render();
  // The first line is the FIELD/VALUE header, which adds nothing here.
  return out.substr(out.find('\n') + 1);
}

void add_worker_commands(CLI::App& app, CliContext& context) {
  auto* worker = app.add_subcommand("worker", "Inspect workers");
  worker->require_subcommand(1);

  auto* list = worker->add_subcommand("list", "List every worker the conductor knows");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print the API's JSON");
  list->callback([&context, list_json] { run_list(context, *list_json); });

  auto* show = worker->add_subcommand("show", "Show one worker");
  auto show_id = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("id", *show_id, "Worker id")->required();
  show->add_flag("--json", *show_json, "Print the API's JSON");
  show->callback([&context, show_id, show_json] { run_show(context, *show_id, *show_json); });
}

}  // namespace baton::cli
