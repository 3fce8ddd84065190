#include "conductor/http/case_json.hpp"

#include <limits>

#include "conductor/http/worker_json.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

json time_or_null(TimePoint t) {
  if (t == TimePoint{}) return nullptr;
  return format_rfc3339(t);
}

json time_or_null(const std::optional<TimePoint>& t) { return t ? time_or_null(*t) : json(nullptr); }

Error invalid(const std::string& message) { return make_error(Errc::invalid_argument, message); }

Result<json> parse_object(const std::string& body, bool empty_is_object) {
  if (empty_is_object && body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return invalid("the request body is not valid JSON");
  if (!parsed.is_object()) return invalid("the request body must be a JSON object");
  return parsed;
}

Result<std::string> param_text(const std::string& name, const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return invalid("params." + name + " must be a string, number or boolean");
}

}  // namespace

json case_to_json(const CaseRecord& c, TimePoint now) {
  const double age = c.created_at == TimePoint{} ? 0.0 : std::chrono::duration<double>(now - c.created_at).count();
  return {
      {"id", c.id},
      {"workflow", c.workflow},
      {"params", c.params},
      {"priority", c.priority},
      {"status", to_string(c.status)},
      {"current_step", c.current_step},
      {"attempt", c.attempt},
      {"worker_id", c.worker_id},
      {"progress", c.progress < 0 ? json(nullptr) : json(c.progress)},
      {"progress_message", c.progress_message},
      {"message", c.message},
      {"cancel_requested", c.cancel_requested},
      {"created_at", time_or_null(c.created_at)},
      {"updated_at", time_or_null(c.updated_at)},
      {"not_before", time_or_null(c.not_before)},
      {"age_seconds", age < 0 ? 0.0 : age},
  };
}

json case_history_to_json(const CaseHistoryRow& row) {
  return {
      {"at", time_or_null(row.at)}, {"status", to_string(row.status)}, {"step", row.step},
      {"attempt", row.attempt},     {"worker_id", row.worker_id},      {"message", row.message},
  };
}

json attempt_to_json(const StepAttemptRecord& a) {
  return {
      {"step", a.step},
      {"step_name", a.step_name},
      {"attempt", a.attempt},
      {"worker_id", a.worker_id},
      {"status", to_string(a.status)},
      {"slots", a.slots},
      {"gpus", a.gpus},
      {"pid", a.pid},
      {"exit_code", a.exit_code},
      {"message", a.message},
      {"output_tail", a.output_tail},
      {"dispatched_at", time_or_null(a.dispatched_at)},
      {"started_at", time_or_null(a.started_at)},
      {"finished_at", time_or_null(a.finished_at)},
  };
}

Result<v1::SubmitCase> submit_case_from_json(const std::string& body) {
  auto parsed = parse_object(body, /*empty_is_object=*/false);
  if (!parsed) return parsed.error();
  v1::SubmitCase request;
  for (const auto& [key, value] : parsed->items()) {
    if (key == "id") {
      if (!value.is_string()) return invalid("id must be a string");
      request.set_case_id(value.get<std::string>());
    } else if (key == "workflow") {
      if (!value.is_string()) return invalid("workflow must be a string");
      request.set_workflow(value.get<std::string>());
    } else if (key == "params") {
      if (value.is_null()) continue;
      if (!value.is_object()) return invalid("params must be an object of name: value");
      for (const auto& [name, param] : value.items()) {
        auto text = param_text(name, param);
        if (!text) return text.error();
        (*request.mutable_params())[name] = std::move(*text);
      }
    } else if (key == "priority") {
      constexpr auto lowest = std::numeric_limits<int32_t>::min();
      constexpr auto highest = std::numeric_limits<int32_t>::max();
      const bool fits = value.is_number_unsigned()  ? value.get<uint64_t>() <= static_cast<uint64_t>(highest)
                        : value.is_number_integer() ? value.get<int64_t>() >= lowest && value.get<int64_t>() <= highest
                                                    : false;
      if (!fits) return invalid("priority must be a 32-bit integer");
      request.set_priority(static_cast<int32_t>(value.get<int64_t>()));
    } else {
      return invalid("unknown field \"" + key + "\" (expected id, workflow, params, priority)");
    }
  }
  if (request.workflow().empty()) return invalid("workflow is required");
  return request;
}

Result<std::string> cancel_reason_from_json(const std::string& body) {
  auto parsed = parse_object(body, /*empty_is_object=*/true);
  if (!parsed) return parsed.error();
  std::string reason;
  for (const auto& [key, value] : parsed->items()) {
    if (key != "reason") return invalid("unknown field \"" + key + "\" (expected reason)");
    if (!value.is_null() && !value.is_string()) return invalid("reason must be a string");
    if (value.is_string()) reason = value.get<std::string>();
  }
  return reason;
}

}  // namespace baton::conductor
