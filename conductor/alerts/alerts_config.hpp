#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conductor/alerts/alert_types.hpp"

namespace baton::config {
class MapReader;
}

namespace baton::conductor::alerts {

using std::chrono::milliseconds;

// First matching rule wins; an empty field matches anything.
struct SeverityRule {
  std::string check_glob;             // "disk_*"
  std::optional<CheckState> state;
  std::string label;                  // the worker must carry it (glob)
  Severity severity = Severity::medium;
};

struct EscalationLevel {
  std::string name;
  milliseconds after{0};  // from the moment the alert became hard
  std::vector<std::string> channels;
  milliseconds repeat{0};  // 0: notify this level once
};

struct EscalationPolicy {
  milliseconds response_time{0};
  std::vector<EscalationLevel> levels;  // ascending `after`
};

struct WebhookChannelConfig {
  std::string url;
  enum class Format { json, slack } format = Format::json;
  std::map<std::string, std::string> headers;
  milliseconds timeout{5000};
};

struct CommandChannelConfig {
  std::vector<std::string> argv;  // from the conductor's own config only
  milliseconds timeout{10000};
};

struct ChannelConfig {
  enum class Type { webhook, command, log } type = Type::log;
  std::string name;
  WebhookChannelConfig webhook;
  CommandChannelConfig command;
};

struct RetryConfig {
  unsigned attempts = 3;
  milliseconds initial{1000};
  milliseconds max{30000};
};

struct RemediationRule {
  std::string check_glob;
  std::optional<CheckState> state;           // unset: any non-OK
  std::vector<std::string> labels;           // the worker must carry all of them
  std::string action;
  std::map<std::string, std::string> params;
  milliseconds cooldown{std::chrono::minutes(10)};
  unsigned budget_per_hour = 3;              // runs per target (worker) per hour
  milliseconds verify_after{std::chrono::minutes(1)};
};

struct AlertsConfig {
  unsigned soft_states = 3;      // consecutive non-OK before an alert is hard
  unsigned recovery_states = 1;  // consecutive OK before it resolves
  unsigned flap_window = 20;
  double flap_high_percent = 50;
  double flap_low_percent = 25;

  std::vector<SeverityRule> severity_rules;
  Severity critical_severity = Severity::high;
  Severity warning_severity = Severity::medium;
  Severity unknown_severity = Severity::medium;
  Severity case_failed_severity = Severity::high;
  Severity case_stuck_severity = Severity::medium;
  Severity worker_offline_severity = Severity::high;

  std::map<Severity, EscalationPolicy> escalation;
  std::map<std::string, ChannelConfig> channels;
  unsigned rate_limit_per_hour = 6;  // per alert per channel; resolves are never limited
  RetryConfig retry;
  std::vector<RemediationRule> remediation;

  const EscalationPolicy& policy(Severity severity) const;
};

// The runbook numbers: response 15m/1h/4h/24h for critical/high/medium/low;
// levels team, senior, manager, director at 0, 1, 2 and 4 response times
// (0/15m/30m/60m for critical), each repeating every response time, all to
// the `log` channel until the config says otherwise.
AlertsConfig default_alerts_config();

// Reads the `alerts:` section into `out` (which keeps its defaults for absent
// keys). Throws config::ConfigError naming file:line:key.
void read_alerts_config(config::MapReader& reader, AlertsConfig& out);

}  // namespace baton::conductor::alerts
