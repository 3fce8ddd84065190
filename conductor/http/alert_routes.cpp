#include "conductor/http/alert_routes.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "conductor/alerts/alert_store.hpp"
#include "conductor/core/ops_service.hpp"
#include "conductor/http/alert_json.hpp"
#include "conductor/http/ops_json.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

constexpr unsigned kMaxLimit = 1000;

using Deps = std::shared_ptr<const OpsRouteDeps>;

http::ServerResponse database_unavailable(const Error& error) {
  return http::json_error(503, "database unavailable: " + error.message);
}

Result<int64_t> id_param(const http::ServerRequest& request, const char* what) {
  const auto& text = request.params.at("id");
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0)
    return make_error(Errc::invalid_argument, std::string(what) + " ids are positive numbers, not \"" + text + "\"");
  return id;
}

http::ServerResponse list_alerts(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  const auto all = request.query.find("all");
  const bool open_only = all == request.query.end() || all->second == "0" || all->second == "false";
  auto limit = parse_limit(request.query, 200, kMaxLimit);
  if (!limit) return error_response(limit.error());
  std::vector<alerts::AlertRecord> found;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto rows = alerts::AlertStore(store.db()).list_alerts(open_only, static_cast<int>(*limit));
    if (!rows) return rows.error();
    found = std::move(*rows);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  const auto now = deps.now();
  json out = json::array();
  for (const auto& alert : found) out.push_back(alert_to_json(alert, now));
  return json_response(200, json{{"alerts", std::move(out)}});
}

http::ServerResponse show_alert(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  auto id = id_param(request, "alert");
  if (!id) return error_response(id.error());
  std::optional<alerts::AlertRecord> alert;
  std::vector<alerts::AlertEvent> events;
  std::vector<alerts::NotificationAttempt> notifications;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    alerts::AlertStore alert_store(store.db());
    // The store has no lookup by id; alerts are few next to check results.
    auto rows = alert_store.list_alerts(false, -1);
    if (!rows) return rows.error();
    const auto it = std::find_if(rows->begin(), rows->end(), [&](const auto& a) { return a.id == *id; });
    if (it == rows->end()) return {};
    alert = std::move(*it);
    auto e = alert_store.events_of(*id);
    if (!e) return e.error();
    events = std::move(*e);
    auto n = alert_store.notifications_of(*id);
    if (!n) return n.error();
    notifications = std::move(*n);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  if (!alert) return http::json_error(404, "no alert " + std::to_string(*id));
  auto body = alert_to_json(*alert, deps.now());
  body["events"] = json::array();
  for (const auto& event : events) body["events"].push_back(alert_event_to_json(event));
  body["notifications"] = json::array();
  for (const auto& attempt : notifications) body["notifications"].push_back(notification_to_json(attempt));
  return json_response(200, body);
}

http::ServerResponse acknowledge(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  auto id = id_param(request, "alert");
  if (!id) return error_response(id.error());
  const auto now = deps.now();
  auto ack = ack_from_json(request.body, now);
  if (!ack) return error_response(ack.error());
  auto alert = deps.ops->acknowledge(*id, ack->author, ack->comment, ack->until);
  if (!alert) return error_response(alert.error());
  return json_response(200, alert_to_json(*alert, now));
}

http::ServerResponse list_silences(const OpsRouteDeps& deps) {
  auto silences = deps.ops->silences();
  if (!silences) return error_response(silences.error());
  std::sort(silences->begin(), silences->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const auto now = deps.now();
  json out = json::array();
  for (const auto& silence : *silences) out.push_back(silence_to_json(silence, now));
  return json_response(200, json{{"silences", std::move(out)}});
}

http::ServerResponse add_silence(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  const auto now = deps.now();
  auto silence = silence_from_json(request.body, now);
  if (!silence) return error_response(silence.error());
  auto added = deps.ops->add_silence(std::move(*silence));
  if (!added) return error_response(added.error());
  auto response = json_response(201, silence_to_json(*added, now));
  response.headers["Location"] = "/api/v1/silences/" + std::to_string(added->id);
  return response;
}

http::ServerResponse list_windows(const OpsRouteDeps& deps) {
  auto windows = deps.ops->maintenance_windows();
  if (!windows) return error_response(windows.error());
  std::sort(windows->begin(), windows->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const auto now = deps.now();
  json out = json::array();
  for (const auto& window : *windows) out.push_back(maintenance_window_to_json(window, now));
  return json_response(200, json{{"maintenance_windows", std::move(out)}});
}

http::ServerResponse add_window(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  const auto now = deps.now();
  auto window = maintenance_window_from_json(request.body, now);
  if (!window) return error_response(window.error());
  auto added = deps.ops->add_maintenance(std::move(*window));
  if (!added) return error_response(added.error());
  auto response = json_response(201, maintenance_window_to_json(*added, now));
  response.headers["Location"] = "/api/v1/maintenance-windows/" + std::to_string(added->id);
  return response;
}

// DELETE of a silence or window: it ends now rather than vanishing, so the
// record of who silenced what stays.
http::ServerResponse end_hold(const http::ServerRequest& request, const char* what,
                              const std::function<Status(int64_t)>& end) {
  auto id = id_param(request, what);
  if (!id) return error_response(id.error());
  if (auto st = end(*id); !st) return error_response(st.error());
  return json_response(200, json{{"id", *id}, {"status", "ended"}});
}

http::ServerResponse list_remediations(const OpsRouteDeps& deps, const http::ServerRequest& request) {
  auto limit = parse_limit(request.query, 100, kMaxLimit);
  if (!limit) return error_response(limit.error());
  std::vector<alerts::RemediationRun> runs;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto rows = alerts::AlertStore(store.db()).list_remediations(static_cast<int>(*limit));
    if (!rows) return rows.error();
    runs = std::move(*rows);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  json out = json::array();
  for (const auto& run : runs) out.push_back(remediation_to_json(run));
  return json_response(200, json{{"remediations", std::move(out)}});
}

}  // namespace

void install_alert_routes(http::Router& router, const OpsRouteDeps& deps_in) {
  auto copy = deps_in;
  if (!copy.now) copy.now = [] { return std::chrono::system_clock::now(); };
  const Deps d = std::make_shared<const OpsRouteDeps>(std::move(copy));
  const auto& token = d->api_token;
  using R = const http::ServerRequest&;

  router.add("GET", "/api/v1/alerts", [d](R r) { return list_alerts(*d, r); });
  router.add("GET", "/api/v1/alerts/{id}", [d](R r) { return show_alert(*d, r); });
  router.add("POST", "/api/v1/alerts/{id}/ack", require_token(token, [d](R r) { return acknowledge(*d, r); }));

  router.add("GET", "/api/v1/silences", [d](R) { return list_silences(*d); });
  router.add("POST", "/api/v1/silences", require_token(token, [d](R r) { return add_silence(*d, r); }));
  router.add("DELETE", "/api/v1/silences/{id}", require_token(token, [d](R r) {
               return end_hold(r, "silence", [d](int64_t id) { return d->ops->expire_silence(id); });
             }));

  router.add("GET", "/api/v1/maintenance-windows", [d](R) { return list_windows(*d); });
  router.add("POST", "/api/v1/maintenance-windows", require_token(token, [d](R r) { return add_window(*d, r); }));
  router.add("DELETE", "/api/v1/maintenance-windows/{id}", require_token(token, [d](R r) {
               return end_hold(r, "maintenance window", [d](int64_t id) { return d->ops->end_maintenance(id); });
             }));

  router.add("GET", "/api/v1/remediations", [d](R r) { return list_remediations(*d, r); });
}

}  // namespace baton::conductor
