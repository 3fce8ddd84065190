#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "common/http/url.hpp"
#include "worker/checks/builtin_checks.hpp"

namespace baton::worker::checks {
namespace {

std::optional<double> count_field(const nlohmann::json& queue, const char* name) {
  auto it = queue.find(name);
  if (it == queue.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

Result<CheckReport> check_rabbitmq_queue(const CheckContext& context, CheckParams& params) {
  std::string vhost = params.text("vhost", "/");
  std::string queue = params.required("queue");
  Thresholds ready = params.thresholds("ready_warning", "ready_critical");
  Thresholds total = params.thresholds("total_warning", "total_critical");
  Thresholds consumers = params.thresholds("consumers_warning", "consumers_critical");
  if (auto s = params.status(); !s) return s.error();
  const auto& management = context.config.rabbitmq;
  if (management.url.empty())
    return make_error(Errc::unavailable, "checks.rabbitmq.management_url is not set in the worker config");

  std::string base = management.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::Request request;
  request.url = base + "/api/queues/" + http::percent_encode(vhost) + "/" + http::percent_encode(queue);
  request.basic_user = management.user;
  request.basic_password = management.password;
  request.timeout = context.budget();
  auto response = http::fetch(request);
  const std::string name = "queue '" + queue + "' in vhost '" + vhost + "'";
  if (!response) {
    if (response.error().code == Errc::timeout) return context.timed_out("waiting for the management API");
    return make_error(response.error().code, "management API at " + base + ": " + response.error().message);
  }

  Verdict verdict;
  if (response->status == 404) {
    verdict.raise(CheckState::critical, name + " does not exist");
    return verdict.report("");
  }
  if (response->status == 401 || response->status == 403)
    return make_error(Errc::refused, "management API refused user '" + management.user + "' (HTTP " +
                                         std::to_string(response->status) + ")");
  if (response->status != 200)
    return make_error(Errc::unavailable, "management API answered HTTP " + std::to_string(response->status));

  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(Errc::decode, "management API sent no JSON object for " + name);
  auto messages_ready = count_field(body, "messages_ready");
  auto messages = count_field(body, "messages");
  auto consumer_count = count_field(body, "consumers");
  // A queue declared moments ago has no message statistics yet.
  if (!messages_ready || !messages)
    return make_error(Errc::unavailable, "no message counts for " + name + " yet (statistics not collected)");

  verdict.measure("messages_ready", *messages_ready, "", ready, 0.0);
  verdict.measure("messages", *messages, "", total, 0.0);
  std::string summary = name + ": " + format_number(*messages_ready) + " ready, " + format_number(*messages) + " total";
  if (consumer_count) {
    verdict.measure("consumers", *consumer_count, "", consumers, 0.0);
    summary += ", " + format_number(*consumer_count) + " consumer(s)";
  }
  return verdict.report(summary);
}

}  // namespace baton::worker::checks
