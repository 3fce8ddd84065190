#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "conductor/alerts/alert_engine.hpp"

namespace baton::conductor::alerts::testing {

using namespace std::chrono_literals;

// Four levels, one channel each, so an intent's channel names its level.
inline AlertsConfig four_level_config() {
  AlertsConfig cfg = default_alerts_config();
  for (const char* name : {"team", "senior", "manager", "director"}) {
    ChannelConfig channel;
    channel.name = name;
    cfg.channels[name] = channel;
  }
  for (auto& [severity, policy] : cfg.escalation) {
    const char* names[] = {"team", "senior", "manager", "director"};
    for (size_t i = 0; i < policy.levels.size(); ++i) policy.levels[i].channels = {names[i]};
  }
  return cfg;
}

inline TimePoint t0() { return from_unix_ms(1'700'000'000'000); }

inline CheckObservation check(const std::string& worker, const std::string& name, CheckState state, TimePoint at,
                              std::vector<std::string> labels = {}) {
  return CheckObservation{worker, name, state, std::string(to_string(state)) + " output", std::move(labels), at};
}

inline std::vector<std::string> channels_of(const EngineOutput& out, NotificationKind kind) {
  std::vector<std::string> channels;
  for (const auto& intent : out.intents)
    if (intent.kind == kind) channels.push_back(intent.channel);
  std::sort(channels.begin(), channels.end());
  return channels;
}

inline bool has_event(const EngineOutput& out, AlertEventType type) {
  return std::any_of(out.events.begin(), out.events.end(), [&](const AlertEvent& e) { return e.type == type; });
}

}  // namespace baton::conductor::alerts::testing
