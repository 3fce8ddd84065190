#include "cli/case_render.hpp"

#include <vector>

#include "cli/context.hpp"
#include "cli/format.hpp"
#include "cli/table.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kMessageColumnChars = 60;
constexpr std::size_t kOutputTailLines = 20;

std::string text(const json& object, const char* key, const char* fallback = "-") {
  const auto it = object.is_object() ? object.find(key) : object.end();
  if (it == object.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty()))
    return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// Messages may come from a job's output; a line break would split a table
// row or defeat the progress line's redraw.
std::string one_line(std::string text) {
  for (auto& ch : text)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return text;
}

// What an operator wants to read about where the case is: the job's own
// progress message while it runs, otherwise why the case is where it is.
std::string case_message(const json& c) {
  const auto progress_message = text(c, "progress_message", "");
  if (text(c, "status", "") == "EXECUTING" && !progress_message.empty()) return one_line(progress_message);
  const auto message = text(c, "message", "");
  return one_line(message.empty() ? progress_message : message);
}

std::string progress_text(const json& c) {
  const auto progress = number_field(c, "progress");
  return progress ? format_number(progress, 0) + "%" : "-";
}

// The API counts steps from 0; people, and the conductor's messages
// ("step 2/3 (simulate)"), from 1.
std::string step_number(const json& object, const char* key) {
  const auto index = number_field(object, key);
  return index && *index >= 0 ? format_number(*index + 1, 0) : "-";
}

std::string attempt_text(const json& c) {
  const auto attempt = number_field(c, "attempt").value_or(0);
  return attempt > 0 ? format_number(attempt, 0) : "-";
}

// The name of the step the case is at, from the attempts a show carries.
std::string current_step_name(const json& c) {
  const auto attempts = c.value("attempts", json::array());
  if (!attempts.is_array()) return {};
  const auto step = number_field(c, "current_step");
  std::string name;
  for (const auto& attempt : attempts) {
    if (number_field(attempt, "step") == step && attempt.value("step_name", json()).is_string())
      name = attempt["step_name"].get<std::string>();
  }
  return name;
}

std::string join_params(const json& c) {
  std::string out;
  const auto params = c.value("params", json::object());
  if (!params.is_object()) return "-";
  for (const auto& [name, value] : params.items())
    out += (out.empty() ? "" : ", ") + name + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  return out.empty() ? "-" : out;
}

std::string with_age(const json& c, const char* key, std::optional<double> age_seconds) {
  std::string out = text(c, key);
  if (out != "-" && age_seconds) out += " (" + format_age(*age_seconds) + ")";
  return out;
}

std::string drop_header(const std::string& rendered) { return rendered.substr(rendered.find('\n') + 1); }

std::string render_history(const json& history) {
  Table table({"AT", "STATUS", "STEP", "ATTEMPT", "WORKER", "MESSAGE"});
  table.align(2, Table::Align::right);
  table.align(3, Table::Align::right);
  for (const auto& row : history) {
    if (!row.is_object()) continue;
    table.add_row({text(row, "at"), text(row, "status"), step_number(row, "step"), attempt_text(row),
                   text(row, "worker_id"), one_line(text(row, "message", ""))});
  }
  return table.render();
}

std::string render_attempts(const json& attempts) {
  Table table({"STEP", "NAME", "ATTEMPT", "STATUS", "WORKER", "SLOTS", "GPUS", "PID", "EXIT", "STARTED", "FINISHED",
               "MESSAGE"});
  for (const std::size_t column : {0, 2, 5, 7, 8}) table.align(column, Table::Align::right);
  for (const auto& a : attempts) {
    if (!a.is_object()) continue;
    std::string gpus;
    for (const auto& gpu : a.value("gpus", json::array())) gpus += (gpus.empty() ? "" : ",") + gpu.dump();
    const bool started = !a.value("started_at", json()).is_null();
    const bool finished = !a.value("finished_at", json()).is_null();
    table.add_row({step_number(a, "step"), text(a, "step_name"), text(a, "attempt"), text(a, "status"),
                   text(a, "worker_id"), text(a, "slots"), gpus.empty() ? "-" : gpus,
                   number_field(a, "pid").value_or(0) > 0 ? text(a, "pid") : "-", finished ? text(a, "exit_code") : "-",
                   started ? text(a, "started_at") : "-", finished ? text(a, "finished_at") : "-",
                   truncate_text(one_line(text(a, "message", "")), kMessageColumnChars)});
  }
  return table.render();
}

// The last lines of the newest attempt that left any output.
std::string render_output_tail(const json& attempts) {
  for (auto it = attempts.rbegin(); it != attempts.rend(); ++it) {
    const auto tail = text(*it, "output_tail", "");
    if (tail.empty()) continue;
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < tail.size()) {
      const auto end = tail.find('\n', start);
      lines.push_back(tail.substr(start, end == std::string::npos ? std::string::npos : end - start));
      start = end == std::string::npos ? tail.size() : end + 1;
    }
    const auto first = lines.size() > kOutputTailLines ? lines.size() - kOutputTailLines : 0;
    std::string out = "output of step " + step_number(*it, "step") + " attempt " + text(*it, "attempt") + ":\n";
    for (auto i = first; i < lines.size(); ++i) out += "  " + lines[i] + "\n";
    return out;
  }
  return {};
}

}  // namespace

std::string truncate_text(const std::string& text, std::size_t max_chars) {
  if (max_chars == 0) return {};
  std::size_t chars = 0;
  std::size_t cut = std::string::npos;  // byte offset where character max_chars - 1 starts
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars - 1) cut = i;
    if (++chars > max_chars) return text.substr(0, cut) + "…";
  }
  return text;
}

std::optional<int> exit_code_for_case(const json& c) {
  const auto status = text(c, "status", "");
  if (status == "COMPLETED") return kExitOk;
  if (status == "FAILED" || status == "CANCELLED") return kExitProblem;
  return std::nullopt;
}

std::string render_case_outcome(const json& c) {
  std::string line = text(c, "id") + " " + text(c, "status");
  const auto message = text(c, "message", "");
  if (text(c, "status", "") != "COMPLETED" && !message.empty()) line += ": " + message;
  return line;
}

std::string render_progress_line(const json& c) {
  const auto status = text(c, "status", "UNKNOWN");
  std::string line = "case " + text(c, "id") + " " + status;
  const bool placed = status == "PROCESSING" || status == "EXECUTING";
  const auto attempt = number_field(c, "attempt").value_or(0);
  if (placed || attempt > 0) {
    line += " step " + step_number(c, "current_step");
    const auto name = current_step_name(c);
    if (!name.empty()) line += " (" + name + ")";
  }
  if (attempt > 0) line += " attempt " + format_number(attempt, 0);
  const auto worker = text(c, "worker_id", "");
  if (placed && !worker.empty()) line += " on " + worker;
  if (number_field(c, "progress")) line += "  " + progress_text(c);
  if (c.value("cancel_requested", false) && status != "CANCELLED") line += " (cancel requested)";
  const auto message = case_message(c);
  if (!message.empty()) line += " [" + message + "]";
  return line;
}

std::string render_case_table(const json& cases) {
  Table table({"ID", "STATUS", "WORKFLOW", "STEP", "ATTEMPT", "WORKER", "PROGRESS", "AGE", "MESSAGE"});
  for (const std::size_t column : {3, 4, 6}) table.align(column, Table::Align::right);
  for (const auto& c : cases) {
    if (!c.is_object()) continue;
    table.add_row({text(c, "id"), text(c, "status"), text(c, "workflow"), step_number(c, "current_step"),
                   attempt_text(c), text(c, "worker_id"), progress_text(c),
                   format_age(number_field(c, "age_seconds").value_or(-1)),
                   truncate_text(case_message(c), kMessageColumnChars)});
  }
  return table.render();
}

std::string render_case_details(const json& c) {
  Table table({"FIELD", "VALUE"});
  std::string status = text(c, "status");
  if (c.value("cancel_requested", false) && status != "CANCELLED") status += " (cancel requested)";
  std::string step = step_number(c, "current_step");
  if (const auto name = current_step_name(c); !name.empty()) step += " (" + name + ")";
  std::string progress = progress_text(c);
  if (const auto message = text(c, "progress_message", ""); !message.empty()) progress += " " + message;
  const auto age = number_field(c, "age_seconds");

  table.add_row({"id", text(c, "id")});
  table.add_row({"workflow", text(c, "workflow")});
  table.add_row({"params", join_params(c)});
  table.add_row({"priority", text(c, "priority")});
  table.add_row({"status", status});
  table.add_row({"step", step});
  table.add_row({"attempt", attempt_text(c)});
  table.add_row({"worker", text(c, "worker_id")});
  table.add_row({"progress", progress});
  table.add_row({"message", text(c, "message")});
  table.add_row({"submitted", with_age(c, "created_at", age)});
  table.add_row({"updated", text(c, "updated_at")});
  if (!c.value("not_before", json()).is_null()) table.add_row({"not before", text(c, "not_before")});
  std::string out = drop_header(table.render());

  const auto history = c.value("history", json::array());
  out += "\nhistory:\n";
  out += history.is_array() && !history.empty() ? render_history(history) : "  (none)\n";
  const auto attempts = c.value("attempts", json::array());
  out += "\nattempts:\n";
  out += attempts.is_array() && !attempts.empty() ? render_attempts(attempts) : "  (none yet)\n";
  if (attempts.is_array()) {
    if (const auto tail = render_output_tail(attempts); !tail.empty()) out += "\n" + tail;
  }
  return out;
}

}  // namespace baton::cli
