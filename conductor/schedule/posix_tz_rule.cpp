#include "conductor/schedule/posix_tz_rule.hpp"

#include <algorithm>
#include <cctype>

#include "conductor/schedule/civil_time.hpp"

namespace baton::conductor {

namespace {

// A cursor over the TZ string; every reader returns false on malformed input
// and the caller turns that into one error naming the whole string.
struct Cursor {
  std::string_view text;
  size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }

  bool read_name() {
    if (accept('<')) {
      const size_t close = text.find('>', pos);
      if (close == std::string_view::npos || close - pos < 3) return false;
      pos = close + 1;
      return true;
    }
    const size_t start = pos;
    while (std::isalpha(static_cast<unsigned char>(peek()))) ++pos;
    return pos - start >= 3;
  }

  bool read_number(int min, int max, int& out) {
    const size_t start = pos;
    int64_t value = 0;
    while (std::isdigit(static_cast<unsigned char>(peek())) && pos - start < 4) value = value * 10 + (text[pos++] - '0');
    if (pos == start || value < min || value > max) return false;
    out = static_cast<int>(value);
    return true;
  }

  // [+-]hh[:mm[:ss]] in seconds, hours up to max_hours.
  bool read_clock(int max_hours, int32_t& out) {
    int sign = 1;
    if (accept('-')) sign = -1;
    else accept('+');
    int hours = 0, minutes = 0, seconds = 0;
    if (!read_number(0, max_hours, hours)) return false;
    if (accept(':')) {
      if (!read_number(0, 59, minutes)) return false;
      if (accept(':') && !read_number(0, 59, seconds)) return false;
    }
    out = sign * (hours * 3600 + minutes * 60 + seconds);
    return true;
  }
};

}  // namespace

int64_t PosixTzRule::DateRule::local_seconds_in(int64_t year) const {
  int64_t days = 0;
  switch (kind) {
    case Kind::julian_no_leap: {
      // Jn counts 1..365 and never names Feb 29.
      days = civil::days_from_civil(year, 1, 1) + day - 1;
      if (civil::is_leap_year(year) && day >= 60) ++days;
      break;
    }
    case Kind::zero_based:
      days = civil::days_from_civil(year, 1, 1) + day;
      break;
    case Kind::month_week_day: {
      const int64_t first = civil::days_from_civil(year, month, 1);
      int64_t candidate = first + (day - civil::weekday_from_days(first) + 7) % 7 + 7 * (week - 1);
      const int64_t month_end = first + civil::days_in_month(year, month);
      while (candidate >= month_end) candidate -= 7;
      days = candidate;
      break;
    }
  }
  return days * civil::kSecondsPerDay + time;
}

Result<PosixTzRule> PosixTzRule::parse(std::string_view text) {
  const auto bad = [&](const char* why) {
    return make_error(Errc::invalid_argument,
                      "bad POSIX TZ rule \"" + std::string(text) + "\": " + why);
  };
  Cursor in{text};
  PosixTzRule rule;
  int32_t posix_offset = 0;
  if (!in.read_name()) return bad("expected a zone abbreviation");
  if (!in.read_clock(24, posix_offset)) return bad("expected a UTC offset after the abbreviation");
  // POSIX counts offsets west of Greenwich as positive; we count east.
  rule.std_offset_ = -posix_offset;
  if (in.done()) return rule;

  if (!in.read_name()) return bad("expected a daylight-saving abbreviation");
  Dst dst{rule.std_offset_ + 3600, {}, {}};
  if (in.peek() != ',' && !in.done()) {
    if (!in.read_clock(24, posix_offset)) return bad("expected a daylight-saving offset");
    dst.offset = -posix_offset;
  }
  const auto read_date = [&](DateRule& date) {
    if (!in.accept(',')) return false;
    if (in.accept('J')) {
      date.kind = DateRule::Kind::julian_no_leap;
      if (!in.read_number(1, 365, date.day)) return false;
    } else if (in.accept('M')) {
      date.kind = DateRule::Kind::month_week_day;
      if (!in.read_number(1, 12, date.month) || !in.accept('.') || !in.read_number(1, 5, date.week) ||
          !in.accept('.') || !in.read_number(0, 6, date.day))
        return false;
    } else {
      date.kind = DateRule::Kind::zero_based;
      if (!in.read_number(0, 365, date.day)) return false;
    }
    date.time = 7200;
    return !in.accept('/') || in.read_clock(167, date.time);
  };
  // zic always writes the rule part; without it the change dates would be
  // implementation-defined, so refuse rather than guess.
  if (!read_date(dst.start)) return bad("expected a start rule such as ,M3.5.0");
  if (!read_date(dst.end)) return bad("expected an end rule such as ,M10.5.0/3");
  if (!in.done()) return bad("unexpected text after the end rule");
  rule.dst_ = dst;
  return rule;
}

std::vector<PosixTzRule::Transition> PosixTzRule::transitions_in_year(int64_t year) const {
  if (!dst_) return {};
  // The start is written in standard time, the end in daylight time.
  Transition start{dst_->start.local_seconds_in(year) - std_offset_, dst_->offset};
  Transition end{dst_->end.local_seconds_in(year) - dst_->offset, std_offset_};
  if (end.at < start.at) return {end, start};
  return {start, end};
}

}  // namespace baton::conductor
