#include "tests/unit/metrics/exposition_parser.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

namespace baton::metrics::testing {

namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0])) return false;
  for (const char c : name)
    if (!is_name_char(c)) return false;
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0]) || name[0] == ':' || name.substr(0, 2) == "__") return false;
  for (const char c : name)
    if (!is_name_char(c) || c == ':') return false;
  return true;
}

bool parse_float(std::string_view text, double& out) {
  if (text == "+Inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && std::isfinite(out);
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::vector<ParsedFamily>> run() {
    if (!text_.empty() && text_.back() != '\n') return fail("the exposition must end with a newline");
    size_t start = 0;
    while (start < text_.size()) {
      ++line_;
      const auto end = text_.find('\n', start);
      const auto line = text_.substr(start, end - start);
      start = end + 1;
      if (auto st = parse_line(line); !st) return st.error();
    }
    if (auto st = finish_family(); !st) return st.error();
    return std::move(families_);
  }

 private:
  Error fail(const std::string& why) const {
    return make_error(Errc::decode, "line " + std::to_string(line_) + ": " + why);
  }

  Status parse_line(std::string_view line) {
    if (line.empty()) return fail("blank line");
    if (line.substr(0, 7) == "# HELP ") return parse_help(line.substr(7));
    if (line.substr(0, 7) == "# TYPE ") return parse_type(line.substr(7));
    if (line[0] == '#') return {};  // a plain comment
    return parse_sample(line);
  }

  Status begin_family(std::string_view name) {
    if (!valid_metric_name(name)) return fail("bad metric name '" + std::string(name) + "'");
    if (current() && current()->name == name) return {};
    if (auto st = finish_family(); !st) return st;
    if (seen_.contains(std::string(name))) return fail("family " + std::string(name) + " appears in two blocks");
    seen_.insert(std::string(name));
    families_.push_back(ParsedFamily{std::string(name), "", "", {}});
    has_help_ = false;
    return {};
  }

  Status parse_help(std::string_view rest) {
    const auto space = rest.find(' ');
    const auto name = rest.substr(0, space);
    if (auto st = begin_family(name); !st) return st;
    auto& family = *current();
    if (has_help_) return fail("second HELP for " + family.name);
    if (!family.type.empty()) return fail("HELP for " + family.name + " comes after its TYPE");
    if (!family.samples.empty()) return fail("HELP for " + family.name + " comes after its samples");
    std::string help;
    const auto text = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '\\') {
        help += text[i];
        continue;
      }
      if (i + 1 == text.size()) return fail("HELP ends inside an escape");
      const char next = text[++i];
      if (next == '\\')
        help += '\\';
      else if (next == 'n')
        help += '\n';
      else
        return fail(std::string("bad escape \\") + next + " in HELP");
    }
    family.help = std::move(help);
    has_help_ = true;
    return {};
  }

  Status parse_type(std::string_view rest) {
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) return fail("TYPE without a type");
    const auto name = rest.substr(0, space);
    const auto type = rest.substr(space + 1);
    if (auto st = begin_family(name); !st) return st;
    auto& family = *current();
    if (!has_help_) return fail("TYPE for " + family.name + " without a HELP before it");
    if (!family.type.empty()) return fail("second TYPE for " + family.name);
    if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
      return fail("unknown type '" + std::string(type) + "'");
    if (type == "counter" && !family.name.ends_with("_total"))
      return fail("counter " + family.name + " does not end in _total");
    family.type = std::string(type);
    return {};
  }

  Status parse_labels(std::string_view& rest, std::map<std::string, std::string>& labels) {
    rest.remove_prefix(1);  // '{'
    while (true) {
      if (rest.empty()) return fail("labels not closed");
      if (rest[0] == '}') {
        rest.remove_prefix(1);
        return {};
      }
      size_t n = 0;
      while (n < rest.size() && rest[n] != '=') ++n;
      const auto name = rest.substr(0, n);
      if (!valid_label_name(name)) return fail("bad label name '" + std::string(name) + "'");
      if (labels.contains(std::string(name))) return fail("label " + std::string(name) + " given twice");
      rest.remove_prefix(n);
      if (rest.size() < 2 || rest[0] != '=' || rest[1] != '"')
        return fail("label " + std::string(name) + " needs =\"value\"");
      rest.remove_prefix(2);
      std::string value;
      bool closed = false;
      while (!rest.empty()) {
        const char c = rest[0];
        rest.remove_prefix(1);
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\n') return fail("raw newline in a label value");
        if (c != '\\') {
          value += c;
          continue;
        }
        if (rest.empty()) return fail("label value ends inside an escape");
        const char next = rest[0];
        rest.remove_prefix(1);
        if (next == '\\')
          value += '\\';
        else if (next == '"')
          value += '"';
        else if (next == 'n')
          value += '\n';
        else
          return fail(std::string("bad escape \\") + next + " in a label value");
      }
      if (!closed) return fail("label value not closed");
      labels.emplace(std::string(name), std::move(value));
      if (rest.empty()) return fail("labels not closed");
      if (rest[0] == ',') {
        rest.remove_prefix(1);
        if (!rest.empty() && rest[0] == '}') return fail("trailing comma in labels");
      } else if (rest[0] != '}') {
        return fail("expected , or } after a label");
      }
    }
  }

  Status parse_sample(std::string_view line) {
    size_t n = 0;
    while (n < line.size() && is_name_char(line[n])) ++n;
    const auto name = std::string(line.substr(0, n));
    if (!valid_metric_name(name)) return fail("bad sample name in '" + std::string(line) + "'");
    auto* family = current();
    if (!family || family->type.empty()) return fail("sample " + name + " without a TYPE for its family");
    if (!belongs(name, *family)) return fail("sample " + name + " does not belong to family " + family->name);
    auto rest = line.substr(n);
    ParsedSample sample{name, {}, 0.0};
    if (!rest.empty() && rest[0] == '{') {
      if (auto st = parse_labels(rest, sample.labels); !st) return st;
    }
    if (rest.empty() || rest[0] != ' ') return fail("expected a space before the value");
    rest.remove_prefix(1);
    const auto space = rest.find(' ');
    if (!parse_float(rest.substr(0, space), sample.value))
      return fail("bad value '" + std::string(rest.substr(0, space)) + "'");
    if (space != std::string_view::npos) {
      const auto stamp = rest.substr(space + 1);
      int64_t ms = 0;
      const auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), ms);
      if (ec != std::errc{} || end != stamp.data() + stamp.size()) return fail("bad timestamp");
    }
    if (family->type == "counter" && !(sample.value >= 0)) return fail("counter " + name + " is negative or NaN");
    const auto key = name + "|" + std::to_string(sample.labels.size()) + render_key(sample.labels);
    if (!sample_keys_.insert(key).second) return fail("duplicate sample " + name);
    family->samples.push_back(std::move(sample));
    return {};
  }

  static std::string render_key(const std::map<std::string, std::string>& labels) {
    std::string out;
    for (const auto& [k, v] : labels) out += k + "\x1f" + v + "\x1e";
    return out;
  }

  static bool belongs(const std::string& name, const ParsedFamily& family) {
    if (family.type != "histogram") return name == family.name;
    return name == family.name + "_bucket" || name == family.name + "_sum" || name == family.name + "_count";
  }

  Status finish_family() {
    auto* family = current();
    if (!family) return {};
    if (!has_help_ || family->type.empty()) return fail("family " + family->name + " lacks HELP or TYPE");
    if (family->type == "histogram") return check_histogram(*family);
    return {};
  }

  Status check_histogram(const ParsedFamily& family) {
    struct Child {
      std::vector<std::pair<double, double>> buckets;  // (le, cumulative count) in order
      std::optional<double> sum, count;
    };
    std::map<std::string, Child> children;
    for (const auto& sample : family.samples) {
      auto labels = sample.labels;
      if (sample.name == family.name + "_bucket") {
        const auto le = labels.find("le");
        if (le == labels.end()) return fail(family.name + "_bucket without le");
        double bound = 0;
        if (le->second == "+Inf")
          bound = std::numeric_limits<double>::infinity();
        else if (!parse_float(le->second, bound))
          return fail("bad le '" + le->second + "' in " + family.name);
        labels.erase(le);
        children[render_key(labels)].buckets.emplace_back(bound, sample.value);
      } else {
        if (labels.contains("le")) return fail(sample.name + " must not have le");
        auto& child = children[render_key(labels)];
        (sample.name.ends_with("_sum") ? child.sum : child.count) = sample.value;
      }
    }
    for (const auto& [key, child] : children) {
      if (child.buckets.empty()) return fail("histogram " + family.name + " child without buckets");
      for (size_t i = 1; i < child.buckets.size(); ++i) {
        if (!(child.buckets[i].first > child.buckets[i - 1].first))
          return fail("histogram " + family.name + " le bounds not increasing");
        if (child.buckets[i].second < child.buckets[i - 1].second)
          return fail("histogram " + family.name + " bucket counts decrease");
      }
      if (!std::isinf(child.buckets.back().first)) return fail("histogram " + family.name + " lacks le=\"+Inf\"");
      if (!child.sum || !child.count) return fail("histogram " + family.name + " lacks _sum or _count");
      if (*child.count != child.buckets.back().second)
        return fail("histogram " + family.name + " +Inf bucket differs from _count");
    }
    return {};
  }

  ParsedFamily* current() { return families_.empty() ? nullptr : &families_.back(); }

  std::string_view text_;
  size_t line_ = 0;
  std::vector<ParsedFamily> families_;
  std::set<std::string> seen_;
  std::set<std::string> sample_keys_;
  bool has_help_ = false;
};

}  // namespace

Result<std::vector<ParsedFamily>> parse_exposition(std::string_view text) { return Parser(text).run(); }

Result<double> sample_value(const std::vector<ParsedFamily>& families, const std::string& name,
                            const std::map<std::string, std::string>& labels) {
  for (const auto& family : families)
    for (const auto& sample : family.samples)
      if (sample.name == name && sample.labels == labels) return sample.value;
  return make_error(Errc::not_found, "no sample " + name);
}

}  // namespace baton::metrics::testing
