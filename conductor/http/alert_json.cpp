#include "conductor/http/alert_json.hpp"

#include "conductor/http/ops_json.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

using alerts::Severity;

json labels_json(const std::vector<std::string>& labels) { return labels.empty() ? json::array() : json(labels); }

// The end of a silence or window: "duration" from its start, or "ends_at".
Result<TimePoint> ends_at_from(const json& body, TimePoint starts_at, TimePoint now) {
  auto duration = optional_string(body, "duration");
  if (!duration) return duration.error();
  auto ends_at = optional_string(body, "ends_at");
  if (!ends_at) return ends_at.error();
  if (duration->has_value() == ends_at->has_value())
    return make_error(Errc::invalid_argument, "give either duration (such as 2h) or ends_at (ISO-8601)");
  if (duration->has_value()) {
    if ((*duration)->find('-') != std::string::npos)
      return make_error(Errc::invalid_argument, "duration must be like 30m, 2h or 1d");
    // Measured from the start, so a window planned for tonight lasts as long as asked.
    auto end = parse_time_or_duration(**duration, starts_at, "duration");
    if (!end) return end.error();
    if (*end <= now) return make_error(Errc::invalid_argument, "starts_at plus duration is already over");
    return *end;
  }
  auto end = parse_iso8601(**ends_at);
  if (!end) return make_error(Errc::invalid_argument, "ends_at: " + end.error().message);
  if (*end <= starts_at) return make_error(Errc::invalid_argument, "ends_at must be after starts_at");
  if (*end <= now) return make_error(Errc::invalid_argument, "ends_at is not in the future");
  return *end;
}

Result<TimePoint> starts_at_from(const json& body, TimePoint now) {
  auto starts_at = optional_string(body, "starts_at");
  if (!starts_at) return starts_at.error();
  if (!starts_at->has_value()) return now;
  auto parsed = parse_iso8601(**starts_at);
  if (!parsed) return make_error(Errc::invalid_argument, "starts_at: " + parsed.error().message);
  return *parsed;
}

// comment (required) and author (default kDefaultAuthor).
Status read_note(const json& body, std::string& comment, std::string& author) {
  auto c = optional_string(body, "comment");
  if (!c) return c.error();
  if (!c->has_value() || (*c)->find_first_not_of(" \t\r\n") == std::string::npos)
    return make_error(Errc::invalid_argument, "comment is required: say why, for whoever looks next");
  comment = **c;
  auto a = optional_string(body, "author");
  if (!a) return a.error();
  author = a->value_or("").empty() ? kDefaultAuthor : **a;
  return {};
}

// "disk_root on gpu-01: DISK CRITICAL …", "case c-17: …", "worker gpu-01: …".
std::string summary(const alerts::AlertRecord& a) {
  const std::string where = !a.check.empty()     ? a.check + " on " + a.worker_id
                            : !a.case_id.empty() ? "case " + a.case_id
                                                 : "worker " + a.worker_id;
  return a.last_output.empty() ? where : where + ": " + a.last_output;
}

}  // namespace

json alert_to_json(const alerts::AlertRecord& alert, TimePoint now) {
  json ack = nullptr;
  if (alert.acknowledged) {
    ack = {{"author", alert.ack_author},
           {"comment", alert.ack_comment},
           {"at", time_or_null(alert.acked_at)},
           {"until", time_or_null(alert.ack_until)}};
  }
  return {
      {"id", alert.id},
      {"key", alert.key},
      {"kind", to_string(alert.kind)},
      {"worker_id", alert.worker_id},
      {"check", alert.check},
      {"case_id", alert.case_id},
      {"labels", labels_json(alert.labels)},
      {"severity", to_string(alert.severity)},
      {"summary", summary(alert)},
      {"state", alert.open ? "open" : "resolved"},
      {"last_state", to_string(alert.last_state)},
      {"hard", alert.hard},
      {"non_ok_count", alert.non_ok_count},
      {"flapping", alert.flapping},
      {"flap_percent", alert.flap_percent},
      {"silenced", alert.silenced},
      {"in_maintenance", alert.in_maintenance},
      {"dependent", alert.dependent},
      {"acknowledged", alert.acknowledged},
      {"ack", ack},
      {"escalation_level", alert.escalation_level},
      {"hard_since", time_or_null(alert.hard_since)},
      {"next_escalation_at", time_or_null(alert.next_escalation_at)},
      {"response_breached", alert.response_breached},
      {"first_seen", time_or_null(alert.first_seen)},
      {"last_seen", time_or_null(alert.last_seen)},
      {"resolved_at", time_or_null(alert.resolved_at)},
      {"age_seconds", std::chrono::duration<double>(now - alert.first_seen).count()},
      {"last_output", alert.last_output},
  };
}

json alert_event_to_json(const alerts::AlertEvent& event) {
  return {{"at", time_or_null(event.at)}, {"type", to_string(event.type)}, {"message", event.message}};
}

json notification_to_json(const alerts::NotificationAttempt& attempt) {
  return {{"at", time_or_null(attempt.at)},      {"channel", attempt.channel}, {"level", attempt.level},
          {"kind", to_string(attempt.kind)},     {"attempt", attempt.attempt}, {"outcome", to_string(attempt.outcome)},
          {"error", attempt.error}};
}

json silence_to_json(const alerts::Silence& silence, TimePoint now) {
  const auto& m = silence.matcher;
  return {
      {"id", silence.id},
      {"matchers",
       {{"worker", m.worker},
        {"check", m.check},
        {"label", m.label},
        {"severity", m.severity ? json(to_string(*m.severity)) : json(nullptr)}}},
      {"starts_at", time_or_null(silence.starts_at)},
      {"ends_at", time_or_null(silence.ends_at)},
      {"active", silence.active(now)},
      {"expire_on_resolve", silence.expire_on_resolve},
      {"author", silence.author},
      {"comment", silence.comment},
  };
}

json maintenance_window_to_json(const alerts::MaintenanceWindow& window, TimePoint now) {
  return {
      {"id", window.id},
      {"workers", labels_json(window.workers)},
      {"labels", labels_json(window.labels)},
      {"starts_at", time_or_null(window.starts_at)},
      {"ends_at", time_or_null(window.ends_at)},
      {"active", window.active(now)},
      {"author", window.author},
      {"comment", window.comment},
  };
}

json remediation_to_json(const alerts::RemediationRun& run) {
  json duration = nullptr;
  if (run.finished_at) duration = std::chrono::duration<double>(*run.finished_at - run.started_at).count();
  return {
      {"id", run.id},
      {"action", run.action},
      {"params", run.params},
      {"worker_id", run.worker_id},
      {"check", run.check},
      {"alert_key", run.alert_key},
      {"outcome", to_string(run.outcome)},
      {"in_flight", run.in_flight()},
      {"message", run.message},
      {"started_at", time_or_null(run.started_at)},
      {"verify_at", time_or_null(run.verify_at)},
      {"finished_at", time_or_null(run.finished_at)},
      {"duration_seconds", duration},
  };
}

Result<AckRequest> ack_from_json(const std::string& body, TimePoint now) {
  auto object = parse_object_body(body, {"comment", "author", "until"});
  if (!object) return object.error();
  AckRequest out;
  if (auto st = read_note(*object, out.comment, out.author); !st) return st.error();
  auto until = optional_string(*object, "until");
  if (!until) return until.error();
  if (until->has_value()) {
    auto at = parse_time_or_duration(**until, now, "until");
    if (!at) return at.error();
    out.until = *at;
  }
  return out;
}

Result<alerts::Silence> silence_from_json(const std::string& body, TimePoint now) {
  auto object = parse_object_body(body, {"worker", "check", "label", "severity", "duration", "ends_at", "starts_at",
                                         "expire_on_resolve", "comment", "author"});
  if (!object) return object.error();
  alerts::Silence silence;
  for (const auto& [key, target] : {std::pair{"worker", &silence.matcher.worker},
                                    std::pair{"check", &silence.matcher.check},
                                    std::pair{"label", &silence.matcher.label}}) {
    auto value = optional_string(*object, key);
    if (!value) return value.error();
    *target = value->value_or("");
  }
  auto severity = optional_string(*object, "severity");
  if (!severity) return severity.error();
  if (severity->has_value() && !(*severity)->empty()) {
    silence.matcher.severity = alerts::parse_severity(**severity);
    if (!silence.matcher.severity)
      return make_error(Errc::invalid_argument,
                        "unknown severity \"" + **severity + "\" (valid: low, medium, high, critical)");
  }
  const auto& m = silence.matcher;
  if (m.worker.empty() && m.check.empty() && m.label.empty() && !m.severity)
    return make_error(Errc::invalid_argument,
                      "a silence needs at least one of worker, check, label or severity "
                      "(\"worker\": \"*\" silences everything)");
  auto starts = starts_at_from(*object, now);
  if (!starts) return starts.error();
  silence.starts_at = *starts;
  auto ends = ends_at_from(*object, silence.starts_at, now);
  if (!ends) return ends.error();
  silence.ends_at = *ends;
  auto expire = optional_bool(*object, "expire_on_resolve");
  if (!expire) return expire.error();
  silence.expire_on_resolve = expire->value_or(false);
  if (auto st = read_note(*object, silence.comment, silence.author); !st) return st.error();
  return silence;
}

Result<alerts::MaintenanceWindow> maintenance_window_from_json(const std::string& body, TimePoint now) {
  auto object = parse_object_body(body, {"workers", "labels", "starts_at", "duration", "ends_at", "comment", "author"});
  if (!object) return object.error();
  alerts::MaintenanceWindow window;
  auto workers = string_list(*object, "workers");
  if (!workers) return workers.error();
  window.workers = std::move(*workers);
  auto labels = string_list(*object, "labels");
  if (!labels) return labels.error();
  window.labels = std::move(*labels);
  if (window.workers.empty() && window.labels.empty())
    return make_error(Errc::invalid_argument, "a maintenance window needs workers or labels (globs such as gpu-*)");
  auto starts = starts_at_from(*object, now);
  if (!starts) return starts.error();
  window.starts_at = *starts;
  auto ends = ends_at_from(*object, window.starts_at, now);
  if (!ends) return ends.error();
  window.ends_at = *ends;
  if (auto st = read_note(*object, window.comment, window.author); !st) return st.error();
  return window;
}

}  // namespace baton::conductor
