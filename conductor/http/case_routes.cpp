#include "conductor/http/case_routes.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/http/url.hpp"
#include "conductor/core/case_service.hpp"
#include "conductor/http/case_json.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor {

using nlohmann::json;

namespace {

constexpr unsigned kMaxListLimit = 1000;

using Deps = std::shared_ptr<const CaseRouteDeps>;

http::ServerResponse database_unavailable(const Error& error) {
  return http::json_error(503, "database unavailable: " + error.message);
}

std::string valid_statuses() {
  std::string out;
  for (const auto s : {CaseStatus::queued, CaseStatus::processing, CaseStatus::executing, CaseStatus::completed,
                       CaseStatus::failed, CaseStatus::cancelled}) {
    out += (out.empty() ? "" : ", ") + std::string(to_string(s));
  }
  return out;
}

Result<CaseFilter> filter_from_query(const std::map<std::string, std::string>& query) {
  CaseFilter filter;
  if (const auto it = query.find("status"); it != query.end() && !it->second.empty()) {
    filter.status = parse_case_status(it->second);
    if (!filter.status)
      return make_error(Errc::invalid_argument,
                        "unknown status \"" + it->second + "\" (valid: " + valid_statuses() + ")");
  }
  if (const auto it = query.find("workflow"); it != query.end()) filter.workflow = it->second;
  if (const auto it = query.find("limit"); it != query.end() && !it->second.empty()) {
    const auto& text = it->second;
    unsigned limit = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > kMaxListLimit)
      return make_error(Errc::invalid_argument,
                        "limit must be a whole number from 1 to " + std::to_string(kMaxListLimit));
    filter.limit = limit;
  }
  return filter;
}

http::ServerResponse submit(const CaseRouteDeps& deps, const http::ServerRequest& request) {
  auto submission = submit_case_from_json(request.body);
  if (!submission) return error_response(submission.error());
  auto outcome = deps.cases->submit(*submission);
  if (!outcome) return error_response(outcome.error());
  auto response = json_response(outcome->created ? 201 : 200, case_to_json(outcome->record, deps.now()));
  response.headers["Location"] = "/api/v1/cases/" + http::percent_encode(outcome->record.id);
  return response;
}

http::ServerResponse list(const CaseRouteDeps& deps, const http::ServerRequest& request) {
  auto filter = filter_from_query(request.query);
  if (!filter) return error_response(filter.error());
  std::vector<CaseRecord> cases;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto found = store.list_cases(*filter);
    if (!found) return found.error();
    cases = std::move(*found);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  const auto now = deps.now();
  json out = json::array();
  for (const auto& c : cases) out.push_back(case_to_json(c, now));
  return json_response(200, json{{"cases", std::move(out)}});
}

http::ServerResponse show(const CaseRouteDeps& deps, const std::string& id) {
  std::optional<CaseRecord> record;
  std::vector<CaseHistoryRow> history;
  std::vector<StepAttemptRecord> attempts;
  const auto read = deps.read([&](ConductorStore& store) -> Status {
    auto found = store.find_case(id);
    if (!found) return found.error();
    record = std::move(*found);
    if (!record) return {};
    auto rows = store.case_history(id);
    if (!rows) return rows.error();
    history = std::move(*rows);
    auto tries = store.step_attempts(id);
    if (!tries) return tries.error();
    attempts = std::move(*tries);
    return {};
  });
  if (!read) return database_unavailable(read.error());
  if (!record) return http::json_error(404, "no case named " + id);
  auto body = case_to_json(*record, deps.now());
  body["history"] = json::array();
  for (const auto& row : history) body["history"].push_back(case_history_to_json(row));
  body["attempts"] = json::array();
  for (const auto& attempt : attempts) body["attempts"].push_back(attempt_to_json(attempt));
  return json_response(200, body);
}

http::ServerResponse cancel(const CaseRouteDeps& deps, const http::ServerRequest& request) {
  const auto& id = request.params.at("id");
  auto reason = cancel_reason_from_json(request.body);
  if (!reason) return error_response(reason.error());
  if (auto st = deps.cases->cancel(id, *reason); !st) return error_response(st.error());
  return json_response(202, json{{"id", id}, {"status", "cancel requested"}});
}

http::ServerResponse retry(const CaseRouteDeps& deps, const http::ServerRequest& request) {
  const auto& id = request.params.at("id");
  if (auto st = deps.cases->retry(id); !st) return error_response(st.error());
  return json_response(202, json{{"id", id}, {"status", "retry requested"}});
}

}  // namespace

void install_case_routes(http::Router& router, CaseRouteDeps deps) {
  if (!deps.now) deps.now = [] { return std::chrono::system_clock::now(); };
  const Deps d = std::make_shared<const CaseRouteDeps>(std::move(deps));
  const auto& token = d->api_token;
  router.add("POST", "/api/v1/cases",
             require_token(token, [d](const http::ServerRequest& request) { return submit(*d, request); }));
  router.add("GET", "/api/v1/cases", [d](const http::ServerRequest& request) { return list(*d, request); });
  router.add("GET", "/api/v1/cases/{id}",
             [d](const http::ServerRequest& request) { return show(*d, request.params.at("id")); });
  router.add("POST", "/api/v1/cases/{id}/cancel",
             require_token(token, [d](const http::ServerRequest& request) { return cancel(*d, request); }));
  router.add("POST", "/api/v1/cases/{id}/retry",
             require_token(token, [d](const http::ServerRequest& request) { return retry(*d, request); }));
}

}  // namespace baton::conductor
