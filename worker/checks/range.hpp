#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/result.hpp"
#include "worker/checks/check_state.hpp"

namespace baton::worker::checks {

// A Nagios threshold range (monitoring-plugins guidelines):
//   10      alert outside 0..10
//   10:     alert below 10
//   ~:10    alert above 10
//   10:20   alert outside 10..20
//   @10:20  alert inside 10..20
// Endpoints are inclusive, so a value equal to an endpoint never alerts
// (unless the range is inverted with @, where it always does).
class Range {
 public:
  // Reads one endpoint; the default takes a plain number. Built-ins pass
  // parsers that accept units ("100MB", "7d") and return the value in the
  // metric's base unit.
  using EndpointParser = std::function<Result<double>(std::string_view)>;

  static Result<Range> parse(std::string_view text, const EndpointParser& endpoint = {});

  bool alerts(double value) const;
  // The text it was parsed from, for perfdata and messages.
  const std::string& text() const { return text_; }
  // The same range with endpoints as plain numbers in the base unit, as
  // perfdata needs ("104857600" for "100MB").
  std::string numeric_text() const;
  std::optional<double> start() const { return start_; }  // nullopt: -infinity
  std::optional<double> end() const { return end_; }      // nullopt: +infinity
  bool inside() const { return inside_; }

 private:
  std::optional<double> start_;
  std::optional<double> end_;
  bool inside_ = false;
  std::string text_;
};

// Warning and critical ranges for one metric; either may be absent.
struct Thresholds {
  std::optional<Range> warning;
  std::optional<Range> critical;

  // CRITICAL when the critical range alerts, else WARNING when the warning
  // range does, else OK.
  CheckState evaluate(double value) const;
};

}  // namespace baton::worker::checks
