#include "conductor/alerts/alerts_config.hpp"

#include "common/config/yaml_reader.hpp"

namespace baton::conductor::alerts {

namespace {

using namespace std::chrono_literals;
using config::MapReader;

const std::vector<std::string> kSeverityNames{"low", "medium", "high", "critical"};
const std::vector<std::string> kStateNames{"OK", "WARNING", "CRITICAL", "UNKNOWN", "ok", "warning", "critical", "unknown"};

EscalationPolicy scaled_policy(milliseconds response_time) {
  EscalationPolicy policy;
  policy.response_time = response_time;
  const std::pair<const char*, int> levels[] = {{"team", 0}, {"senior", 1}, {"manager", 2}, {"director", 4}};
  for (const auto& [name, multiple] : levels)
    policy.levels.push_back(EscalationLevel{name, response_time * multiple, {"log"}, response_time});
  return policy;
}

std::optional<Severity> read_severity(MapReader& r, const std::string& key) {
  auto text = r.one_of(key, kSeverityNames);
  if (!text) return std::nullopt;
  return parse_severity(*text);
}

std::optional<CheckState> read_state(MapReader& r, const std::string& key) {
  auto text = r.one_of(key, kStateNames);
  if (!text) return std::nullopt;
  return parse_check_state(*text);
}

void read_levels(MapReader& p, EscalationPolicy& policy, const AlertsConfig& cfg) {
  std::vector<EscalationLevel> levels;
  p.section_list("levels", [&](MapReader& l, size_t index) {
    EscalationLevel level;
    level.name = l.string("name").value_or("L" + std::to_string(index + 1));
    if (auto after = l.duration("after", 0ms, 24h * 30)) level.after = *after;
    level.repeat = policy.response_time;
    if (auto repeat = l.duration("repeat", 0ms, 24h * 30)) level.repeat = *repeat;
    l.require("channels");
    level.channels = *l.string_list("channels");
    for (const auto& channel : level.channels)
      if (!cfg.channels.count(channel)) l.fail("channels", "no channel is called " + channel);
    if (!levels.empty() && level.after < levels.back().after)
      l.fail("after", "levels must be in ascending order of `after`");
    levels.push_back(std::move(level));
  });
  if (!levels.empty()) policy.levels = std::move(levels);
}

void read_escalation(MapReader& e, AlertsConfig& cfg) {
  e.each_section([&](const std::string& name, MapReader& p) {
    auto severity = parse_severity(name);
    if (!severity) e.fail(name, "expected one of low, medium, high, critical");
    EscalationPolicy& policy = cfg.escalation[*severity];
    // A new response time rescales the default levels; listed levels replace them.
    if (auto response = p.duration("response_time", 1s, 24h * 30)) policy = scaled_policy(*response);
    read_levels(p, policy, cfg);
  });
}

void read_channel(const std::string& name, MapReader& c, ChannelConfig& channel) {
  channel.name = name;
  c.require("type");
  const auto type = *c.one_of("type", {"webhook", "command", "log"});
  if (type == "webhook") {
    channel.type = ChannelConfig::Type::webhook;
    c.require("url");
    channel.webhook.url = *c.string("url");
    if (auto format = c.one_of("format", {"json", "slack"}))
      channel.webhook.format = *format == "slack" ? WebhookChannelConfig::Format::slack : WebhookChannelConfig::Format::json;
    if (auto headers = c.string_map("headers")) channel.webhook.headers = *headers;
    if (auto timeout = c.duration("timeout", 100ms, 5min)) channel.webhook.timeout = *timeout;
  } else if (type == "command") {
    channel.type = ChannelConfig::Type::command;
    c.require("argv");
    channel.command.argv = *c.string_list("argv");
    if (channel.command.argv.empty()) c.fail("argv", "a command channel needs a program");
    if (auto timeout = c.duration("timeout", 100ms, 30min)) channel.command.timeout = *timeout;
  } else {
    channel.type = ChannelConfig::Type::log;
  }
}

void read_remediation(MapReader& r, RemediationRule& rule) {
  r.require("check");
  r.require("action");
  rule.check_glob = *r.string("check");
  rule.action = *r.string("action");
  rule.state = read_state(r, "state");
  if (auto labels = r.string_list("labels")) rule.labels = *labels;
  if (auto params = r.string_map("params")) rule.params = *params;
  if (auto cooldown = r.duration("cooldown", 0ms, 24h)) rule.cooldown = *cooldown;
  if (auto budget = r.integer("budget_per_hour", 0, 1000)) rule.budget_per_hour = static_cast<unsigned>(*budget);
  if (auto verify = r.duration("verify_after", 0ms, 24h)) rule.verify_after = *verify;
}

}  // namespace

const EscalationPolicy& AlertsConfig::policy(Severity severity) const {
  static const EscalationPolicy kEmpty;
  auto it = escalation.find(severity);
  return it == escalation.end() ? kEmpty : it->second;
}

AlertsConfig default_alerts_config() {
  AlertsConfig cfg;
  cfg.escalation[Severity::critical] = scaled_policy(15min);
  cfg.escalation[Severity::high] = scaled_policy(1h);
  cfg.escalation[Severity::medium] = scaled_policy(4h);
  cfg.escalation[Severity::low] = scaled_policy(24h);
  ChannelConfig log;
  log.name = "log";
  cfg.channels["log"] = log;
  return cfg;
}

void read_alerts_config(MapReader& a, AlertsConfig& cfg) {
  if (auto n = a.integer("soft_states", 1, 100)) cfg.soft_states = static_cast<unsigned>(*n);
  if (auto n = a.integer("recovery_states", 1, 100)) cfg.recovery_states = static_cast<unsigned>(*n);
  a.section("flap", [&](MapReader& f) {
    if (auto w = f.integer("window", 3, 100)) cfg.flap_window = static_cast<unsigned>(*w);
    if (auto h = f.number("high_percent")) cfg.flap_high_percent = *h;
    if (auto l = f.number("low_percent")) cfg.flap_low_percent = *l;
    if (cfg.flap_low_percent > cfg.flap_high_percent)
      f.fail("low_percent", "must not exceed high_percent");
  });
  a.section("default_severity", [&](MapReader& d) {
    if (auto s = read_severity(d, "critical")) cfg.critical_severity = *s;
    if (auto s = read_severity(d, "warning")) cfg.warning_severity = *s;
    if (auto s = read_severity(d, "unknown")) cfg.unknown_severity = *s;
    if (auto s = read_severity(d, "case_failed")) cfg.case_failed_severity = *s;
    if (auto s = read_severity(d, "case_stuck")) cfg.case_stuck_severity = *s;
    if (auto s = read_severity(d, "worker_offline")) cfg.worker_offline_severity = *s;
  });
  a.section_list("severity_rules", [&](MapReader& r, size_t) {
    SeverityRule rule;
    rule.check_glob = r.string("check").value_or("");
    rule.state = read_state(r, "state");
    rule.label = r.string("label").value_or("");
    r.require("severity");
    rule.severity = *read_severity(r, "severity");
    cfg.severity_rules.push_back(std::move(rule));
  });
  a.section("channels", [&](MapReader& c) {
    c.each_section([&](const std::string& name, MapReader& ch) { read_channel(name, ch, cfg.channels[name]); });
  });
  a.section("rate_limit", [&](MapReader& r) {
    if (auto n = r.integer("per_hour", 1, 10000)) cfg.rate_limit_per_hour = static_cast<unsigned>(*n);
  });
  a.section("retry", [&](MapReader& r) {
    if (auto n = r.integer("attempts", 1, 20)) cfg.retry.attempts = static_cast<unsigned>(*n);
    if (auto d = r.duration("initial", 1ms, 1h)) cfg.retry.initial = *d;
    if (auto d = r.duration("max", 1ms, 1h)) cfg.retry.max = *d;
  });
  // After channels, so levels can be checked against them.
  a.section("escalation", [&](MapReader& e) { read_escalation(e, cfg); });
  a.section_list("remediation", [&](MapReader& r, size_t) {
    RemediationRule rule;
    read_remediation(r, rule);
    cfg.remediation.push_back(std::move(rule));
  });
}

}  // namespace baton::conductor::alerts
