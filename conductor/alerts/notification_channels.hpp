#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "conductor/alerts/alert_engine.hpp"
#include "conductor/alerts/alert_types.hpp"
#include "conductor/alerts/alerts_config.hpp"

namespace baton::conductor::alerts {

// An intent with the alert as it was when the intent was made.
struct NotificationMessage {
  NotificationIntent intent;
  AlertRecord alert;
  TimePoint at;
};

// Pairs each intent of an engine output with its alert as written there.
std::vector<NotificationMessage> messages_for(const EngineOutput& output, TimePoint at);

// The JSON body of webhooks and of a command's stdin.
std::string render_json(const NotificationMessage& message);
// One line for people: "[HIGH] PROBLEM check:w1/disk CRITICAL (level 1): disk 97% full".
std::string render_text(const NotificationMessage& message);

// Where notifications go. deliver() blocks; the sender calls it off the core
// strand. An exception inside never escapes: it becomes an error.
class NotificationChannel {
 public:
  virtual ~NotificationChannel() = default;
  virtual Status deliver(const NotificationMessage& message) = 0;
};

// POSTs JSON, or Slack's {"text": ...}. Any 2xx is delivered.
class WebhookChannel final : public NotificationChannel {
 public:
  explicit WebhookChannel(WebhookChannelConfig config) : config_(std::move(config)) {}
  Status deliver(const NotificationMessage& message) override;

 private:
  WebhookChannelConfig config_;
};

// Runs the configured argv (never a shell) with BATON_ALERT_* in its
// environment and the JSON on stdin; exit 0 is delivered.
class CommandChannel final : public NotificationChannel {
 public:
  explicit CommandChannel(CommandChannelConfig config) : config_(std::move(config)) {}
  Status deliver(const NotificationMessage& message) override;

 private:
  CommandChannelConfig config_;
};

class LogChannel final : public NotificationChannel {
 public:
  Status deliver(const NotificationMessage& message) override;
};

std::unique_ptr<NotificationChannel> make_channel(const ChannelConfig& config);
std::map<std::string, std::unique_ptr<NotificationChannel>> make_channels(const AlertsConfig& config);

}  // namespace baton::conductor::alerts
