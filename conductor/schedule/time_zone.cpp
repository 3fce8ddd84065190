#include "conductor/schedule/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

#include "conductor/schedule/civil_time.hpp"
#include "conductor/schedule/time_zone_data.hpp"

namespace baton::conductor {

namespace {

using std::chrono::seconds;

constexpr int64_t kUnbounded = OffsetSpan::kUnbounded;
// Wider than any UTC offset a zone has ever used (about ±16h), so a local
// time's instants all fall inside [local - window, local + window].
constexpr int64_t kOffsetWindow = 27 * 3600;

int64_t shift(int64_t t, int64_t by) { return t == kUnbounded || t == -kUnbounded ? t : t + by; }

int64_t unix_seconds(TimePoint t) {
  return std::chrono::floor<seconds>(t.time_since_epoch()).count();
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') return false;
  }
  // Each path component must start like a zone name, which also rules out "..".
  for (size_t start = 0; start < name.size();) {
    const size_t slash = std::min(name.find('/', start), name.size());
    if (slash == start || !std::isalpha(static_cast<unsigned char>(name[start]))) return false;
    start = slash + 1;
  }
  return true;
}

OffsetSpan footer_span(const PosixTzRule& rule, int64_t u) {
  if (!rule.has_dst()) {
    return OffsetSpan{-kUnbounded, kUnbounded, rule.standard_offset(), rule.standard_offset()};
  }
  const int64_t year = civil::civil_from_days(civil::floor_div(u + rule.standard_offset(), civil::kSecondsPerDay)).year;
  std::vector<PosixTzRule::Transition> changes;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    for (const auto& change : rule.transitions_in_year(y)) {
      // A year's end meeting the next year's start (permanent DST) is no change.
      if (!changes.empty() && changes.back().at == change.at) changes.pop_back();
      changes.push_back(change);
    }
  }
  const auto after = std::upper_bound(changes.begin(), changes.end(), u,
                                      [](int64_t t, const PosixTzRule::Transition& c) { return t < c.at; });
  OffsetSpan span;
  span.end = after == changes.end() ? kUnbounded : after->at;
  if (after == changes.begin()) {
    span.offset = span.offset_before = changes.back().offset;
    return span;
  }
  const auto current = std::prev(after);
  span.begin = current->at;
  span.offset = current->offset;
  span.offset_before = current == changes.begin() ? changes.back().offset : std::prev(current)->offset;
  return span;
}

}  // namespace

TimeZone TimeZone::utc() {
  static const auto data = std::make_shared<const Data>(Data{"UTC", 0, {}, std::nullopt});
  return TimeZone(data);
}

Result<TimeZone> TimeZone::load(std::string_view name, const std::string& zoneinfo_dir) {
  if (name == "UTC") return utc();
  if (!valid_zone_name(name)) {
    return make_error(Errc::invalid_argument,
                      "\"" + std::string(name) + "\" is not a time zone name (expected UTC or an IANA name like Europe/Berlin)");
  }
  const std::string path = zoneinfo_dir + "/" + std::string(name);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return make_error(Errc::not_found, "unknown time zone \"" + std::string(name) + "\" (no file " + path + ")");
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return from_tzif(std::string(name), bytes.str());
}

Result<TimeZone> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  auto data = parse_tzif(std::move(name), bytes);
  if (!data) return data.error();
  return TimeZone(std::make_shared<const Data>(std::move(data).value()));
}

const std::string& TimeZone::name() const { return data_->name; }

OffsetSpan TimeZone::span_at(int64_t u) const {
  const Data& d = *data_;
  const auto& table = d.transitions;
  if (!table.empty() && u < table.front().at) {
    return OffsetSpan{-kUnbounded, table.front().at, d.initial_offset, d.initial_offset};
  }
  if (table.empty() || u >= table.back().at) {
    OffsetSpan span;
    span.begin = table.empty() ? -kUnbounded : table.back().at;
    span.offset = table.empty() ? d.initial_offset : table.back().offset;
    span.offset_before = table.size() >= 2 ? table[table.size() - 2].offset : d.initial_offset;
    if (table.empty()) span.offset_before = span.offset;
    if (!d.footer) return span;
    const OffsetSpan rule = footer_span(*d.footer, u);
    span.offset = rule.offset;
    span.end = rule.end;
    if (rule.begin > span.begin) {
      span.begin = rule.begin;
      span.offset_before = rule.offset_before;
    }
    return span;
  }
  const auto after = std::upper_bound(table.begin(), table.end(), u,
                                      [](int64_t t, const Data::Transition& c) { return t < c.at; });
  const auto current = std::prev(after);
  return OffsetSpan{current->at, after->at, current->offset,
                    current == table.begin() ? d.initial_offset : std::prev(current)->offset};
}

std::chrono::seconds TimeZone::offset_at(TimePoint instant) const {
  return seconds(span_at(unix_seconds(instant)).offset);
}

std::chrono::local_seconds TimeZone::to_local(TimePoint instant) const {
  const int64_t u = unix_seconds(instant);
  return std::chrono::local_seconds(seconds(u + span_at(u).offset));
}

LocalResolution TimeZone::resolve(std::chrono::local_seconds local) const {
  const int64_t l = local.time_since_epoch().count();
  std::vector<int64_t> instants;
  int64_t gap_end = kUnbounded;
  OffsetSpan span = span_at(l - kOffsetWindow);
  while (true) {
    if (l >= shift(span.begin, span.offset) && l < shift(span.end, span.offset)) {
      instants.push_back(l - span.offset);
    } else if (l < shift(span.begin, span.offset) && l >= shift(span.begin, span.offset_before)) {
      gap_end = span.begin;
    }
    if (span.end == kUnbounded || span.end > l + kOffsetWindow) break;
    span = span_at(span.end);
  }
  const auto at = [](int64_t u) { return TimePoint{} + seconds(u); };
  LocalResolution result;
  if (instants.empty()) {
    result.kind = LocalResolution::Kind::nonexistent;
    result.first = result.second = at(gap_end);
  } else {
    result.kind = instants.size() == 1 ? LocalResolution::Kind::unique : LocalResolution::Kind::ambiguous;
    result.first = at(instants.front());
    result.second = at(instants.back());
  }
  return result;
}

TimePoint TimeZone::from_local(std::chrono::local_seconds local) const { return resolve(local).first; }

}  // namespace baton::conductor
