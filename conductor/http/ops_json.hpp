#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/clock.hpp"
#include "common/core/result.hpp"
#include "conductor/store/check_records.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace baton::conductor {

// JSON renderings of checks, maintenance runs, configured tasks and
// schedules, as the ops routes and the report show them. Times are RFC 3339
// UTC, never-set times null; stored JSON documents (perfdata, details,
// metrics) are embedded parsed, or as their text when they do not parse.
nlohmann::json check_to_json(const CheckResultRecord& check, TimePoint now, bool latest);
nlohmann::json maintenance_run_to_json(const MaintenanceRunRecord& run);
nlohmann::json task_to_json(const TaskDefinition& task);
nlohmann::json scheduled_target_to_json(const ScheduledTarget& target);
nlohmann::json triggered_runs_to_json(const std::vector<TriggeredRun>& runs);

nlohmann::json time_or_null(std::optional<TimePoint> t);
nlohmann::json embedded_json(const std::string& text);

// An absolute time: YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]; without a zone
// it is UTC (the conductor's clock), never the server's local time, so the
// same text means the same instant wherever the conductor runs.
Result<TimePoint> parse_iso8601(std::string_view text);

// Either a duration from now ("2h", "90m", "1d", bare seconds) or an absolute
// ISO-8601 time; the result must lie after now. `what` names the field in
// errors (Errc::invalid_argument).
Result<TimePoint> parse_time_or_duration(std::string_view text, TimePoint now, const std::string& what);

// ?limit= as a whole number in [1, max]; `fallback` when absent.
Result<unsigned> parse_limit(const std::map<std::string, std::string>& query, unsigned fallback, unsigned max);

// A request body that must be empty or a JSON object with only the given
// keys, so a misspelt field is refused instead of silently ignored.
Result<nlohmann::json> parse_object_body(const std::string& body, std::initializer_list<std::string_view> allowed);

// Typed members of such an object; absent or null gives nullopt, a wrong
// type Errc::invalid_argument naming the field.
Result<std::optional<std::string>> optional_string(const nlohmann::json& object, const char* key);
Result<std::optional<bool>> optional_bool(const nlohmann::json& object, const char* key);
Result<std::vector<std::string>> string_list(const nlohmann::json& object, const char* key);

}  // namespace baton::conductor
