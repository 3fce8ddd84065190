#include "conductor/http/ops_json.hpp"

#include <cctype>
#include <charconv>

#include "common/config/yaml_reader.hpp"
#include "conductor/http/worker_json.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

constexpr auto kLongestDuration = std::chrono::hours(24 * 366);

double seconds_between(TimePoint from, TimePoint to) { return std::chrono::duration<double>(to - from).count(); }

json schedule_to_json(const ScheduleSpec& spec) {
  json out = {{"kind", spec.kind == ScheduleKind::cron ? "cron" : "interval"},
              {"missed", to_string(spec.missed)},
              {"splay", config::format_duration(spec.splay)}};
  if (spec.kind == ScheduleKind::cron) {
    out["cron"] = spec.cron ? spec.cron->text() : "";
    out["timezone"] = spec.time_zone.name();
  } else {
    out["every"] = config::format_duration(spec.interval);
  }
  if (spec.expiry) out["expiry"] = config::format_duration(*spec.expiry);
  return out;
}

// Reads `digits` decimal digits at text[pos] into out.
bool read_digits(std::string_view text, size_t& pos, size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + digits, out);
  if (ec != std::errc{} || end != text.data() + pos + digits) return false;
  pos += digits;
  return true;
}

bool expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

json time_or_null(std::optional<TimePoint> t) {
  if (!t || *t == TimePoint{}) return nullptr;
  return format_rfc3339(*t);
}

json embedded_json(const std::string& text) {
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(text) : parsed;
}

json check_to_json(const CheckResultRecord& check, TimePoint now, bool latest) {
  json out = {
      {"worker_id", check.worker_id},
      {"check", check.check},
      {"type", check.type},
      {"state", to_string(check.state)},
      {"output", check.output},
      {"output_truncated", check.output_truncated},
      {"perfdata", embedded_json(check.perfdata_json)},
      {"duration_ms", check.duration.count()},
      {"at", time_or_null(check.at)},
      {"age_seconds", seconds_between(check.at, now)},
      {"command_id", check.command_id},
      {"schedule", check.schedule},
  };
  if (latest) {
    out["state_since"] = time_or_null(check.state_since);
    out["state_age_seconds"] = seconds_between(check.state_since, now);
    out["consecutive"] = check.consecutive;
  }
  return out;
}

json maintenance_run_to_json(const MaintenanceRunRecord& run) {
  return {
      {"command_id", run.command_id},
      {"worker_id", run.worker_id},
      {"task", run.task},
      {"action", run.action},
      {"schedule", run.schedule},
      {"dry_run", run.dry_run},
      {"status", run.status},
      {"message", run.message},
      {"details", embedded_json(run.details_json)},
      {"metrics", embedded_json(run.metrics_json)},
      {"duration_ms", run.duration.count()},
      {"requested_at", time_or_null(run.requested_at)},
      {"finished_at", time_or_null(run.finished_at)},
  };
}

json task_to_json(const TaskDefinition& task) {
  json out = {
      {"name", task.name},
      {"kind", to_string(task.kind)},
      {task.kind == TaskDefinition::Kind::check ? "type" : "action", task.type},
      {"params", task.params},
      {"timeout", config::format_duration(task.timeout)},
      {"targets", {{"workers", task.targets.workers}, {"labels", task.targets.labels}}},
      {"schedule", task.schedule ? schedule_to_json(*task.schedule) : json(nullptr)},
  };
  if (task.kind == TaskDefinition::Kind::check) {
    out["args"] = task.args;
  } else {
    out["dry_run"] = task.dry_run;
  }
  return out;
}

json scheduled_target_to_json(const ScheduledTarget& target) {
  return {
      {"task", target.task},
      {"kind", to_string(target.kind)},
      {"worker_id", target.worker_id},
      {"next_run", time_or_null(target.next_run)},
      {"last_fired", time_or_null(target.last_fired)},
      {"last_outcome", target.last_outcome},
  };
}

json triggered_runs_to_json(const std::vector<TriggeredRun>& runs) {
  json out = json::array();
  for (const auto& run : runs) out.push_back({{"worker_id", run.worker_id}, {"command_id", run.command_id}});
  return out;
}

Result<TimePoint> parse_iso8601(std::string_view text) {
  const auto invalid = [&] {
    return make_error(Errc::invalid_argument,
                      "\"" + std::string(text) + "\" is not an ISO-8601 time such as 2024-05-01T12:00:00Z");
  };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, day))
    return invalid();
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return invalid();
  ++pos;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') || !read_digits(text, pos, 2, minute))
    return invalid();
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!read_digits(text, pos, 2, second)) return invalid();
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      // Only milliseconds count; further digits are read and dropped.
      int scale = 100;
      const size_t first = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        millis += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == first) return invalid();
    }
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(text, pos, 2, oh)) return invalid();
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!read_digits(text, pos, 2, om) || oh > 23 || om > 59) return invalid();
    offset_minutes = sign * (oh * 60 + om);
  }
  if (pos != text.size() || hour > 23 || minute > 59 || second > 60) return invalid();
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return invalid();
  const auto midnight = std::chrono::sys_days(date);
  return TimePoint(midnight) + std::chrono::hours(hour) + std::chrono::minutes(minute - offset_minutes) +
         std::chrono::seconds(second) + std::chrono::milliseconds(millis);
}

Result<TimePoint> parse_time_or_duration(std::string_view text, TimePoint now, const std::string& what) {
  if (text.empty()) return make_error(Errc::invalid_argument, what + " is empty");
  TimePoint at{};
  if (text.find('-') != std::string_view::npos) {
    auto parsed = parse_iso8601(text);
    if (!parsed) return make_error(Errc::invalid_argument, what + ": " + parsed.error().message);
    at = *parsed;
  } else {
    auto duration = config::parse_duration(text, std::chrono::seconds(1), kLongestDuration);
    if (!duration) {
      return make_error(Errc::invalid_argument, what + ": \"" + std::string(text) +
                                                    "\" is neither a duration (30m, 2h, 1d) nor an ISO-8601 time");
    }
    at = now + *duration;
  }
  if (at <= now) return make_error(Errc::invalid_argument, what + " " + std::string(text) + " is not in the future");
  return at;
}

Result<unsigned> parse_limit(const std::map<std::string, std::string>& query, unsigned fallback, unsigned max) {
  const auto it = query.find("limit");
  if (it == query.end() || it->second.empty()) return fallback;
  const auto& text = it->second;
  unsigned limit = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > max)
    return make_error(Errc::invalid_argument, "limit must be a whole number from 1 to " + std::to_string(max));
  return limit;
}

Result<json> parse_object_body(const std::string& body, std::initializer_list<std::string_view> allowed) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return make_error(Errc::invalid_argument, "the body must be a JSON object");
  for (const auto& [key, _] : parsed.items()) {
    bool known = false;
    for (const auto name : allowed) known = known || key == name;
    if (!known) {
      std::string names;
      for (const auto name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
      return make_error(Errc::invalid_argument, "unknown field \"" + key + "\" (known: " + names + ")");
    }
  }
  return parsed;
}

Result<std::optional<std::string>> optional_string(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return make_error(Errc::invalid_argument, std::string(key) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<bool>> optional_bool(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return make_error(Errc::invalid_argument, std::string(key) + " must be true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<std::vector<std::string>> string_list(const json& object, const char* key) {
  std::vector<std::string> out;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
    return out;
  }
  if (!it->is_array()) return make_error(Errc::invalid_argument, std::string(key) + " must be a list of strings");
  for (const auto& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty())
      return make_error(Errc::invalid_argument, std::string(key) + " must be a list of non-empty strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace baton::conductor
