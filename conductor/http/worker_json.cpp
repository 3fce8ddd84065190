#include "conductor/http/worker_json.hpp"

#include <ctime>

namespace baton::conductor {

namespace {

// Timestamps never set are the epoch; null says "never" more honestly.
nlohmann::json time_or_null(TimePoint t) {
  if (t == TimePoint{}) return nullptr;
  return format_rfc3339(t);
}

// The stored JSON came from a worker; a bad document must not break the list.
nlohmann::json parse_or(const std::string& text, nlohmann::json fallback) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

}  // namespace

std::string format_rfc3339(TimePoint t) {
  const auto ms = to_unix_ms(t);
  const auto seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int millis = static_cast<int>(ms - static_cast<int64_t>(seconds) * 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

nlohmann::json worker_to_json(const WorkerRecord& worker, TimePoint now) {
  const double age_seconds =
      worker.last_seen == TimePoint{} ? 0.0 : std::chrono::duration<double>(now - worker.last_seen).count();
  return {
      {"id", worker.id},
      {"hostname", worker.hostname},
      {"version", worker.version},
      {"labels", worker.labels},
      {"slots", worker.slots},
      {"free_slots", worker.free_slots},
      {"online", worker.online},
      {"status", !worker.online ? "offline" : worker.draining ? "draining" : "online"},
      {"draining", worker.draining},
      {"heartbeat_interval_ms", worker.heartbeat_interval.count()},
      {"first_seen", time_or_null(worker.first_seen)},
      {"last_seen", time_or_null(worker.last_seen)},
      {"heartbeat_age_seconds", worker.last_seen == TimePoint{} ? nlohmann::json(nullptr) : nlohmann::json(age_seconds)},
      {"status_changed_at", time_or_null(worker.status_changed_at)},
      {"offline_reason", worker.offline_reason},
      {"resources", parse_or(worker.resources_json, nlohmann::json::object())},
      {"gpus", parse_or(worker.gpus_json, nlohmann::json::array())},
  };
}

}  // namespace baton::conductor
