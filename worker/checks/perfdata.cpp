#include "worker/checks/perfdata.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace baton::worker::checks {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void append_perfdata(std::string& out, std::string_view part) {
  part = trim(part);
  if (part.empty()) return;
  if (!out.empty()) out += ' ';
  out += part;
}

// A number at the start of text; *used says how many characters it took.
std::optional<double> leading_number(std::string_view text, size_t* used) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
  *used = static_cast<size_t>(ptr - text.data());
  return value;
}

std::optional<double> whole_number(std::string_view text) {
  size_t used = 0;
  auto value = leading_number(text, &used);
  if (!value || used != text.size()) return std::nullopt;
  return value;
}

bool valid_uom(std::string_view uom) {
  for (char c : uom) {
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '=' || c == '\'' || is_space(c)) return false;
  }
  return uom.size() <= 16;
}

// Range texts are passed through, but only if they look like one, so junk
// does not travel on as a threshold.
bool valid_range_text(std::string_view text) {
  for (char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' || c == ':' || c == '~' ||
          c == '@' || c == 'e' || c == 'E'))
      return false;
  }
  return true;
}

std::vector<std::string_view> split_fields(std::string_view data) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t semi = data.find(';', start);
    fields.push_back(data.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  return fields;
}

std::optional<PerfDatum> parse_item(std::string label, std::string_view data) {
  auto fields = split_fields(data);
  if (fields.size() > 5) return std::nullopt;
  PerfDatum datum;
  datum.label = std::move(label);
  size_t used = 0;
  auto value = leading_number(fields[0], &used);
  if (!value) return std::nullopt;
  datum.value = *value;
  datum.uom = std::string(fields[0].substr(used));
  if (!valid_uom(datum.uom)) return std::nullopt;
  if (fields.size() > 1) {
    if (!valid_range_text(fields[1])) return std::nullopt;
    datum.warn = std::string(fields[1]);
  }
  if (fields.size() > 2) {
    if (!valid_range_text(fields[2])) return std::nullopt;
    datum.crit = std::string(fields[2]);
  }
  for (size_t i = 3; i < fields.size(); ++i) {
    if (fields[i].empty()) continue;
    auto bound = whole_number(fields[i]);
    if (!bound) return std::nullopt;
    (i == 3 ? datum.min : datum.max) = *bound;
  }
  return datum;
}

bool needs_quotes(const std::string& label) {
  for (char c : label) {
    if (is_space(c) || c == '=' || c == '\'') return true;
  }
  return label.empty();
}

}  // namespace

PluginOutput split_plugin_output(std::string_view output) {
  PluginOutput out;
  bool in_perfdata = false;
  bool first = true;
  size_t at = 0;
  while (at <= output.size()) {
    size_t end = output.find('\n', at);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    at = end + 1;

    if (in_perfdata) {
      append_perfdata(out.perfdata, line);
    } else if (size_t bar = line.find('|'); bar != std::string_view::npos) {
      std::string_view text = line.substr(0, bar);
      while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
      if (!first) out.text += '\n';
      out.text += text;
      append_perfdata(out.perfdata, line.substr(bar + 1));
      // Only a bar on a later line starts the trailing perfdata block.
      in_perfdata = !first;
    } else {
      if (!first) out.text += '\n';
      out.text += line;
    }
    first = false;
    if (end == output.size()) break;
  }
  while (!out.text.empty() && (out.text.back() == '\n' || is_space(out.text.back()))) out.text.pop_back();
  return out;
}

std::vector<PerfDatum> parse_perfdata(std::string_view text) {
  std::vector<PerfDatum> out;
  size_t at = 0;
  auto skip_token = [&] {
    while (at < text.size() && !is_space(text[at])) ++at;
  };
  while (at < text.size()) {
    if (is_space(text[at])) {
      ++at;
      continue;
    }
    std::string label;
    if (text[at] == '\'') {
      const size_t token_start = at;
      ++at;
      bool closed = false;
      while (at < text.size()) {
        if (text[at] == '\'') {
          if (at + 1 < text.size() && text[at + 1] == '\'') {
            label += '\'';
            at += 2;
            continue;
          }
          ++at;
          closed = true;
          break;
        }
        if (text[at] == '\n') break;
        label += text[at++];
      }
      if (!closed || at >= text.size() || text[at] != '=') {
        // An unclosed quote must not swallow the items after it.
        at = token_start;
        skip_token();
        continue;
      }
    } else {
      size_t start = at;
      while (at < text.size() && text[at] != '=' && !is_space(text[at])) ++at;
      if (at >= text.size() || text[at] != '=') {
        skip_token();
        continue;
      }
      label = std::string(text.substr(start, at - start));
    }
    ++at;  // '='
    size_t start = at;
    skip_token();
    if (label.empty()) continue;
    if (auto datum = parse_item(std::move(label), text.substr(start, at - start))) out.push_back(std::move(*datum));
  }
  return out;
}

std::string format_number(double value) {
  char buffer[64];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "0";
  return std::string(buffer, ptr);
}

std::string format_perfdatum(const PerfDatum& datum) {
  std::string out;
  if (needs_quotes(datum.label)) {
    out += '\'';
    for (char c : datum.label) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
  } else {
    out += datum.label;
  }
  out += '=' + format_number(datum.value) + datum.uom;
  std::string fields[4] = {datum.warn, datum.crit, datum.min ? format_number(*datum.min) : "",
                           datum.max ? format_number(*datum.max) : ""};
  int last = 3;
  while (last >= 0 && fields[last].empty()) --last;
  for (int i = 0; i <= last; ++i) out += ';' + fields[i];
  return out;
}

std::string format_perfdata(const std::vector<PerfDatum>& data) {
  std::string out;
  for (const auto& datum : data) {
    if (!out.empty()) out += ' ';
    out += format_perfdatum(datum);
  }
  return out;
}

}  // namespace baton::worker::checks
