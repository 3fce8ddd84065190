#include "common/config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

namespace baton::config {

namespace {

using std::chrono::milliseconds;

std::string got(std::string_view text) { return ", got \"" + std::string(text) + "\""; }

Error invalid(std::string message) { return make_error(Errc::invalid_argument, std::move(message)); }

std::optional<uint64_t> parse_digits(std::string_view digits) {
  uint64_t value = 0;
  if (digits.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::string_view split_unit(std::string_view text, std::string_view& digits) {
  size_t n = 0;
  while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n]))) ++n;
  digits = text.substr(0, n);
  return text.substr(n);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes == 0) return "0";
  struct Unit { uint64_t size; const char* suffix; };
  for (Unit unit : {Unit{1ULL << 30, "GB"}, Unit{1ULL << 20, "MB"}, Unit{1ULL << 10, "KB"}}) {
    if (bytes % unit.size == 0) return std::to_string(bytes / unit.size) + unit.suffix;
  }
  return std::to_string(bytes);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "\"" + node.Scalar() + "\"";
    default: return "nothing";
  }
}

}  // namespace

Result<int64_t> parse_integer(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return invalid("expected an integer from " + std::to_string(min) + " to " +
                   std::to_string(max) + got(text));
  }
  return value;
}

Result<bool> parse_bool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  return invalid("expected true or false" + got(text));
}

Result<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid("expected a number" + got(text));
  }
  return value;
}

Result<milliseconds> parse_duration(std::string_view text, milliseconds min, milliseconds max) {
  std::string_view digits;
  const std::string_view unit = split_unit(text, digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;

  const auto count = parse_digits(digits);
  if (scale == 0 || !count) {
    return invalid("expected a duration like 500ms, 5s, 1m, 1h, 2d or a whole number of seconds" +
                   got(text));
  }
  const bool too_big = *count > static_cast<uint64_t>(max.count() / scale);
  const milliseconds value{too_big ? 0 : static_cast<int64_t>(*count) * scale};
  if (too_big || value < min || value > max) {
    return invalid("expected a duration from " + format_duration(min) + " to " +
                   format_duration(max) + got(text));
  }
  return value;
}

Result<uint64_t> parse_byte_size(std::string_view text, uint64_t min, uint64_t max) {
  std::string_view digits;
  const std::string_view unit = split_unit(text, digits);
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KB" || unit == "KiB") scale = 1ULL << 10;
  else if (unit == "MB" || unit == "MiB") scale = 1ULL << 20;
  else if (unit == "GB" || unit == "GiB") scale = 1ULL << 30;

  const auto count = parse_digits(digits);
  if (scale == 0 || !count) {
    return invalid("expected a size in bytes like 1048576, 512KB, 10MB or 1GB" + got(text));
  }
  const bool too_big = *count > max / scale;
  const uint64_t value = too_big ? 0 : *count * scale;
  if (too_big || value < min || value > max) {
    return invalid("expected a size from " + format_bytes(min) + " to " + format_bytes(max) +
                   got(text));
  }
  return value;
}

Result<std::string> parse_one_of(std::string_view text, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) return std::string(text);
  std::string list;
  for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
  return invalid("expected one of " + list + got(text));
}

std::string format_duration(milliseconds value) {
  const int64_t ms = value.count();
  if (ms == 0) return "0s";
  struct Unit { int64_t ms; const char* suffix; };
  for (Unit unit : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}}) {
    if (ms % unit.ms == 0) return std::to_string(ms / unit.ms) + unit.suffix;
  }
  return std::to_string(ms) + "ms";
}

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const int line = node.Mark().line;
  return line < 0 ? 0 : line + 1;
}

YAML::Node load_yaml_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw ConfigError(path, 0, "", std::string("cannot read file: ") + std::strerror(errno));
  std::string text;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) {
    throw ConfigError(path, 0, "", std::string("cannot read file: ") + std::strerror(errno));
  }

  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.mark.line < 0 ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  }
  if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw ConfigError(path, line_of(root), "",
                      "expected a mapping of sections at the top level, got " + describe(root));
  }
  return root;
}

MapReader::MapReader(const YAML::Node& node, std::string file, std::string path)
    : file_(std::move(file)), path_(std::move(path)), line_(line_of(node)) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) fail_at(node, path_, "expected a mapping of keys, got " + describe(node));
  for (const auto& pair : node) {
    if (!pair.first.IsScalar()) fail_at(pair.first, path_, "keys must be plain names");
    Entry entry{pair.first.Scalar(), pair.first, pair.second};
    if (const Entry* first = find(entry.key)) {
      fail_at(entry.key_node, key_path(entry.key),
              "duplicate key (first on line " + std::to_string(line_of(first->key_node)) + ")");
    }
    entries_.push_back(std::move(entry));
  }
}

std::string MapReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const MapReader::Entry* MapReader::find(const std::string& key) const {
  for (const auto& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

const YAML::Node* MapReader::lookup(const std::string& key) {
  known_.insert(key);
  const Entry* entry = find(key);
  if (!entry || entry->value.IsNull()) return nullptr;
  return &entry->value;
}

void MapReader::fail_at(const YAML::Node& node, const std::string& key_path,
                        const std::string& message) const {
  throw ConfigError(file_, line_of(node), key_path, message);
}

void MapReader::fail(const std::string& key, const std::string& message) const {
  const Entry* entry = find(key);
  throw ConfigError(file_, entry ? line_of(entry->key_node) : line_, key_path(key), message);
}

template <class T, class Parse>
std::optional<T> MapReader::typed(const std::string& key, Parse parse) {
  const YAML::Node* value = lookup(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar()) {
    // The parser's own "expected ..." wording, with what was found instead.
    std::string expected = parse(std::string_view()).error().message;
    expected.erase(expected.rfind(", got "));
    fail(key, expected + ", got " + describe(*value));
  }
  Result<T> parsed = parse(value->Scalar());
  if (!parsed) fail(key, parsed.error().message);
  return std::move(parsed).value();
}

std::optional<std::string> MapReader::string(const std::string& key) {
  const YAML::Node* value = lookup(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar()) fail(key, "expected a string, got " + describe(*value));
  return value->Scalar();
}

std::optional<bool> MapReader::boolean(const std::string& key) {
  return typed<bool>(key, parse_bool);
}

std::optional<int64_t> MapReader::integer(const std::string& key, int64_t min, int64_t max) {
  return typed<int64_t>(key, [&](std::string_view text) { return parse_integer(text, min, max); });
}

std::optional<double> MapReader::number(const std::string& key) {
  return typed<double>(key, parse_number);
}

std::optional<milliseconds> MapReader::duration(const std::string& key, milliseconds min,
                                                milliseconds max) {
  return typed<milliseconds>(key,
                             [&](std::string_view text) { return parse_duration(text, min, max); });
}

std::optional<uint64_t> MapReader::byte_size(const std::string& key, uint64_t min, uint64_t max) {
  return typed<uint64_t>(key, [&](std::string_view text) { return parse_byte_size(text, min, max); });
}

std::optional<std::vector<std::string>> MapReader::string_list(const std::string& key) {
  const YAML::Node* value = lookup(key);
  if (!value) return std::nullopt;
  if (!value->IsSequence()) fail(key, "expected a list of strings, got " + describe(*value));
  std::vector<std::string> items;
  for (size_t i = 0; i < value->size(); ++i) {
    const YAML::Node item = (*value)[i];
    const std::string item_path = key_path(key) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) fail_at(item, item_path, "expected a string, got " + describe(item));
    if (item.Scalar().empty()) fail_at(item, item_path, "expected a non-empty string");
    items.push_back(item.Scalar());
  }
  return items;
}

std::optional<std::string> MapReader::one_of(const std::string& key,
                                             const std::vector<std::string>& allowed) {
  return typed<std::string>(key, [&](std::string_view text) { return parse_one_of(text, allowed); });
}

void MapReader::section(const std::string& key, const std::function<void(MapReader&)>& read) {
  const YAML::Node* value = lookup(key);
  if (!value) return;
  MapReader child(*value, file_, key_path(key));
  read(child);
  child.finish();
}

void MapReader::section_list(const std::string& key,
                             const std::function<void(MapReader&, size_t)>& read) {
  const YAML::Node* value = lookup(key);
  if (!value) return;
  if (!value->IsSequence()) fail(key, "expected a list of mappings, got " + describe(*value));
  for (size_t i = 0; i < value->size(); ++i) {
    const YAML::Node item = (*value)[i];
    const std::string item_path = key_path(key) + "[" + std::to_string(i) + "]";
    if (!item.IsMap()) fail_at(item, item_path, "expected a mapping, got " + describe(item));
    MapReader child(item, file_, item_path);
    read(child, i);
    child.finish();
  }
}

void MapReader::each_section(const std::function<void(const std::string&, MapReader&)>& read) {
  for (const auto& entry : entries_) {
    known_.insert(entry.key);
    if (!entry.value.IsNull() && !entry.value.IsMap())
      fail_at(entry.value, key_path(entry.key), "expected a mapping, got " + describe(entry.value));
    MapReader child(entry.value, file_, key_path(entry.key));
    read(entry.key, child);
    child.finish();
  }
}

std::optional<std::map<std::string, std::string>> MapReader::string_map(const std::string& key) {
  const YAML::Node* value = lookup(key);
  if (!value) return std::nullopt;
  if (!value->IsMap()) fail(key, "expected a mapping of names to values, got " + describe(*value));
  std::map<std::string, std::string> out;
  for (const auto& kv : *value) {
    const std::string name = kv.first.as<std::string>();
    if (!kv.second.IsScalar())
      fail_at(kv.second, key_path(key) + "." + name, "expected a single value, got " + describe(kv.second));
    out[name] = kv.second.Scalar();
  }
  return out;
}

void MapReader::require(const std::string& key) {
  known_.insert(key);
  const Entry* entry = find(key);
  if (!entry || entry->value.IsNull()) fail(key, "required key is missing");
}

void MapReader::finish() const {
  for (const auto& entry : entries_) {
    if (known_.count(entry.key)) continue;
    std::string known;
    for (const auto& name : known_) known += (known.empty() ? "" : ", ") + name;
    fail_at(entry.key_node, key_path(entry.key),
            known.empty() ? "unknown key (this section takes no keys)"
                          : "unknown key (known: " + known + ")");
  }
}

}  // namespace baton::config
