#include "conductor/alerts/notification_channels.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "common/log/logging.hpp"
#include "common/sys/process.hpp"

namespace baton::conductor::alerts {

namespace {

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string subject(const AlertRecord& alert) {
  switch (alert.kind) {
    case AlertKind::check: return alert.worker_id + "/" + alert.check;
    case AlertKind::case_problem: return "case " + alert.case_id;
    case AlertKind::worker_offline: return "worker " + alert.worker_id;
  }
  return alert.key;
}

// Channels run foreign code paths (HTTP, processes); nothing they throw may
// take the sender thread down.
template <class Deliver>
Status guarded(const char* channel, Deliver deliver) {
  try {
    return deliver();
  } catch (const std::exception& e) {
    return make_error(Errc::io_error, std::string(channel) + " channel threw: " + e.what());
  }
}

}  // namespace

std::vector<NotificationMessage> messages_for(const EngineOutput& output, TimePoint at) {
  std::vector<NotificationMessage> messages;
  for (const auto& intent : output.intents) {
    auto alert = std::find_if(output.alerts.begin(), output.alerts.end(),
                              [&](const AlertRecord& a) { return a.id == intent.alert_id; });
    if (alert == output.alerts.end()) continue;  // every intent's alert is in the output; see AlertEngine
    messages.push_back(NotificationMessage{intent, *alert, at});
  }
  return messages;
}

std::string render_json(const NotificationMessage& m) {
  const AlertRecord& a = m.alert;
  nlohmann::json j = {
      {"alert_id", a.id},
      {"kind", to_string(m.intent.kind)},
      {"channel", m.intent.channel},
      {"level", m.intent.level},
      {"key", a.key},
      {"alert_kind", to_string(a.kind)},
      {"severity", to_string(a.severity)},
      {"worker", a.worker_id},
      {"check", a.check},
      {"case", a.case_id},
      {"state", to_string(a.last_state)},
      {"output", a.last_output},
      {"flapping", a.flapping},
      {"acknowledged", a.acknowledged},
      {"ack_author", a.ack_author},
      {"ack_comment", a.ack_comment},
      {"first_seen_ms", to_unix_ms(a.first_seen)},
      {"at_ms", to_unix_ms(m.at)},
      {"summary", render_text(m)},
  };
  return j.dump();
}

std::string render_text(const NotificationMessage& m) {
  const AlertRecord& a = m.alert;
  std::string text = "[" + upper(to_string(a.severity)) + "] " + upper(to_string(m.intent.kind)) + " " + subject(a);
  if (a.kind == AlertKind::check) text += std::string(" ") + to_string(a.last_state);
  text += " (level " + std::to_string(m.intent.level + 1) + ")";
  if (m.intent.kind == NotificationKind::acknowledged) text += " by " + a.ack_author + ": " + a.ack_comment;
  else if (!a.last_output.empty()) text += ": " + a.last_output;
  if (m.intent.kind == NotificationKind::flapping) text += " (flapping; notifications suppressed)";
  return text;
}

Status WebhookChannel::deliver(const NotificationMessage& message) {
  return guarded("webhook", [&]() -> Status {
    http::Request request;
    request.method = "POST";
    request.url = config_.url;
    request.headers = config_.headers;
    request.timeout = config_.timeout;
    request.body = config_.format == WebhookChannelConfig::Format::slack
                       ? nlohmann::json{{"text", render_text(message)}}.dump()
                       : render_json(message);
    auto response = http::fetch(request);
    if (!response) return response.error();
    if (response->status < 200 || response->status > 299)
      return make_error(Errc::unavailable,
                        "HTTP " + std::to_string(response->status) + ": " + response->body.substr(0, 200));
    return {};
  });
}

Status CommandChannel::deliver(const NotificationMessage& message) {
  return guarded("command", [&]() -> Status {
    const AlertRecord& a = message.alert;
    sys::ProcessOptions options;
    options.argv = config_.argv;
    options.timeout = config_.timeout;
    options.stdin_data = render_json(message);
    options.env_overrides = {
        {"BATON_ALERT_ID", std::to_string(a.id)},
        {"BATON_ALERT_KIND", to_string(message.intent.kind)},
        {"BATON_ALERT_LEVEL", std::to_string(message.intent.level)},
        {"BATON_ALERT_CHANNEL", message.intent.channel},
        {"BATON_ALERT_KEY", a.key},
        {"BATON_ALERT_SEVERITY", to_string(a.severity)},
        {"BATON_ALERT_WORKER", a.worker_id},
        {"BATON_ALERT_CHECK", a.check},
        {"BATON_ALERT_CASE", a.case_id},
        {"BATON_ALERT_STATE", to_string(a.last_state)},
        {"BATON_ALERT_OUTPUT", a.last_output},
        {"BATON_ALERT_SUMMARY", render_text(message)},
    };
    auto result = sys::run_process(options);
    if (!result) return result.error();
    if (result->exit_code != 0)
      return make_error(result->timed_out ? Errc::timeout : Errc::io_error,
                        sys::describe(*result) + (result->err.empty() ? "" : ": " + result->err.substr(0, 200)));
    return {};
  });
}

Status LogChannel::deliver(const NotificationMessage& message) {
  return guarded("log", [&]() -> Status {
    static const auto logger = log::logger("alerts");
    logger->warn("{}", render_text(message));
    return {};
  });
}

std::unique_ptr<NotificationChannel> make_channel(const ChannelConfig& config) {
  switch (config.type) {
    case ChannelConfig::Type::webhook: return std::make_unique<WebhookChannel>(config.webhook);
    case ChannelConfig::Type::command: return std::make_unique<CommandChannel>(config.command);
    case ChannelConfig::Type::log: return std::make_unique<LogChannel>();
  }
  return std::make_unique<LogChannel>();
}

std::map<std::string, std::unique_ptr<NotificationChannel>> make_channels(const AlertsConfig& config) {
  std::map<std::string, std::unique_ptr<NotificationChannel>> channels;
  for (const auto& [name, channel] : config.channels) channels[name] = make_channel(channel);
  return channels;
}

}  // namespace baton::conductor::alerts
