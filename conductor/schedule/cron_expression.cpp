// CronExpression: parsing. Matching and next_after live in cron_next.cpp.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "conductor/schedule/civil_time.hpp"
#include "conductor/schedule/cron_expression.hpp"

namespace baton::conductor {

namespace {

constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct Field {
  const char* name;
  int min;
  int max;
  const char* const* names;  // spelled values for min, min+1, ...; may be null
  size_t name_count;
};

constexpr Field kMinute{"minute", 0, 59, nullptr, 0};
constexpr Field kHour{"hour", 0, 23, nullptr, 0};
constexpr Field kDayOfMonth{"day-of-month", 1, 31, nullptr, 0};
constexpr Field kMonth{"month", 1, 12, kMonthNames.data(), kMonthNames.size()};
// 7 is accepted as a second Sunday and folded onto 0 by the caller.
constexpr Field kDayOfWeek{"day-of-week", 0, 7, kDayNames.data(), kDayNames.size()};

struct FieldValues {
  std::bitset<64> bits;
  bool starts_with_star = false;
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class FieldParser {
 public:
  FieldParser(const Field& field, std::string_view text) : field_(field), text_(text) {}

  Result<FieldValues> parse() {
    FieldValues values;
    values.starts_with_star = text_.front() == '*';
    size_t start = 0;
    while (true) {
      const size_t comma = std::min(text_.find(',', start), text_.size());
      const std::string_view item = text_.substr(start, comma - start);
      if (item.empty()) return fail("empty list item");
      if (auto error = parse_item(item, values.bits)) return *error;
      if (comma == text_.size()) break;
      start = comma + 1;
    }
    return values;
  }

 private:
  Error fail(const std::string& why) const {
    return make_error(Errc::invalid_argument,
                      std::string(field_.name) + " field \"" + std::string(text_) + "\": " + why);
  }

  std::optional<Error> parse_value(std::string_view token, int& out) const {
    if (token.empty()) return fail("missing a value");
    if (std::isdigit(static_cast<unsigned char>(token.front()))) {
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
      if (ec != std::errc() || end != token.data() + token.size()) return fail("\"" + std::string(token) + "\" is not a number");
      if (out < field_.min || out > field_.max) {
        return fail(std::string(token) + " is out of range " + std::to_string(field_.min) + "-" + std::to_string(field_.max));
      }
      return std::nullopt;
    }
    const std::string name = lower(token);
    for (size_t i = 0; i < field_.name_count; ++i) {
      if (name == field_.names[i]) {
        out = field_.min + static_cast<int>(i);
        return std::nullopt;
      }
    }
    if (field_.names == nullptr) return fail("\"" + std::string(token) + "\" is not a number");
    std::string known;
    for (size_t i = 0; i < field_.name_count; ++i) known += (i ? " " : "") + std::string(field_.names[i]);
    return fail("unknown name \"" + std::string(token) + "\" (known: " + known + ")");
  }

  std::optional<Error> parse_item(std::string_view item, std::bitset<64>& bits) const {
    int step = 1;
    const size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() || step < 1) {
        return fail("step \"" + std::string(step_text) + "\" must be a whole number of at least 1");
      }
    }
    int first = field_.min;
    int last = field_.max;
    if (base != "*") {
      const size_t dash = base.find('-');
      if (auto error = parse_value(base.substr(0, dash), first)) return error;
      if (dash != std::string_view::npos) {
        if (auto error = parse_value(base.substr(dash + 1), last)) return error;
        if (last < first) return fail("range " + std::string(base) + " runs backwards");
      } else if (slash == std::string_view::npos) {
        last = first;
      }
    }
    for (int value = first; value <= last; value += step) bits.set(static_cast<size_t>(value));
    return std::nullopt;
  }

  const Field& field_;
  std::string_view text_;
};

std::optional<std::string> expand_macro(const std::string& macro) {
  if (macro == "@hourly") return "0 * * * *";
  if (macro == "@daily" || macro == "@midnight") return "0 0 * * *";
  if (macro == "@weekly") return "0 0 * * 0";
  if (macro == "@monthly") return "0 0 1 * *";
  if (macro == "@yearly" || macro == "@annually") return "0 0 1 1 *";
  return std::nullopt;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    const size_t start = pos;
    while (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos > start) fields.push_back(text.substr(start, pos - start));
  }
  return fields;
}

template <size_t N>
std::bitset<N> narrow(const std::bitset<64>& bits) {
  std::bitset<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

}  // namespace

Result<CronExpression> CronExpression::parse(std::string_view text) {
  const auto fields_text = split_fields(text);
  std::string expanded;
  std::vector<std::string_view> fields = fields_text;
  if (fields.size() == 1 && fields.front().front() == '@') {
    const auto macro = expand_macro(lower(fields.front()));
    if (!macro) {
      return make_error(Errc::invalid_argument,
                        "unknown macro \"" + std::string(fields.front()) +
                            "\" (known: @hourly @daily @midnight @weekly @monthly @yearly @annually)");
    }
    expanded = *macro;
    fields = split_fields(expanded);
  }
  if (fields.size() != 5) {
    return make_error(Errc::invalid_argument,
                      "expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily, got " +
                          std::to_string(fields.size()) + " in \"" + std::string(text) + "\"");
  }

  CronExpression cron;
  const Field* specs[] = {&kMinute, &kHour, &kDayOfMonth, &kMonth, &kDayOfWeek};
  FieldValues values[5];
  for (size_t i = 0; i < 5; ++i) {
    auto parsed = FieldParser(*specs[i], fields[i]).parse();
    if (!parsed) return parsed.error();
    values[i] = std::move(parsed).value();
  }
  if (values[4].bits[7]) values[4].bits.set(0);
  cron.minutes_ = narrow<60>(values[0].bits);
  cron.hours_ = narrow<24>(values[1].bits);
  cron.days_of_month_ = narrow<32>(values[2].bits);
  cron.months_ = narrow<13>(values[3].bits);
  cron.days_of_week_ = narrow<7>(values[4].bits);
  cron.any_day_of_month_ = values[2].starts_with_star;
  cron.any_day_of_week_ = values[4].starts_with_star;
  cron.elapsed_time_ = values[0].starts_with_star || values[1].starts_with_star;
  cron.text_ = std::string(text);

  // Only days of month decide when the weekday field is a wildcard; then some
  // selected day must exist in some selected month (Feb 29 counts).
  if (cron.any_day_of_week_) {
    bool possible = false;
    for (int month = 1; month <= 12 && !possible; ++month) {
      if (!cron.months_[month]) continue;
      for (int day = 1; day <= civil::days_in_month(2000, month) && !possible; ++day) {
        possible = cron.days_of_month_[day];
      }
    }
    if (!possible) {
      return make_error(Errc::invalid_argument, "day-of-month field \"" + std::string(fields[2]) +
                                                    "\": no selected day exists in the selected months (\"" +
                                                    std::string(fields[3]) + "\"), so it would never fire");
    }
  }
  return cron;
}

}  // namespace baton::conductor
