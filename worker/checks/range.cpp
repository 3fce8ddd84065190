#include "worker/checks/range.hpp"

#include <charconv>
#include <cmath>

#include "worker/checks/perfdata.hpp"

namespace baton::worker::checks {
namespace {

Result<double> plain_number(std::string_view text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value))
    return make_error(Errc::invalid_argument, "'" + std::string(text) + "' is not a number");
  return value;
}

Error bad_range(std::string_view text, const std::string& why) {
  return make_error(Errc::invalid_argument, "expected a Nagios range such as 10, 10:, ~:10, 10:20 or @10:20, got \"" +
                                                std::string(text) + "\" (" + why + ")");
}

}  // namespace

Result<Range> Range::parse(std::string_view text, const EndpointParser& endpoint) {
  const EndpointParser& read = endpoint ? endpoint : EndpointParser(plain_number);
  Range range;
  range.text_ = std::string(text);
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '@') {
    range.inside_ = true;
    rest.remove_prefix(1);
  }
  if (rest.empty()) return bad_range(text, "empty");

  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    auto end = read(rest);
    if (!end) return bad_range(text, end.error().message);
    range.start_ = 0.0;
    range.end_ = *end;
  } else {
    std::string_view low = rest.substr(0, colon);
    std::string_view high = rest.substr(colon + 1);
    if (low == "~") {
      range.start_.reset();
    } else if (low.empty()) {
      range.start_ = 0.0;
    } else {
      auto start = read(low);
      if (!start) return bad_range(text, start.error().message);
      range.start_ = *start;
    }
    if (!high.empty()) {
      auto end = read(high);
      if (!end) return bad_range(text, end.error().message);
      range.end_ = *end;
    }
  }
  if (range.start_ && range.end_ && *range.start_ > *range.end_) return bad_range(text, "start is above end");
  return range;
}

std::string Range::numeric_text() const {
  std::string out = inside_ ? "@" : "";
  if (start_ && *start_ == 0 && end_) return out + format_number(*end_);
  out += start_ ? format_number(*start_) : "~";
  out += ':';
  if (end_) out += format_number(*end_);
  return out;
}

bool Range::alerts(double value) const {
  bool within = (!start_ || value >= *start_) && (!end_ || value <= *end_);
  return inside_ ? within : !within;
}

CheckState Thresholds::evaluate(double value) const {
  if (critical && critical->alerts(value)) return CheckState::critical;
  if (warning && warning->alerts(value)) return CheckState::warning;
  return CheckState::ok;
}

}  // namespace baton::worker::checks
