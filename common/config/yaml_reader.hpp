#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/config/config_error.hpp"
#include "common/core/result.hpp"

namespace baton::config {

// Scalar parsers shared by the YAML reader and the environment overrides, so
// both report the same accepted forms. Error messages read as
// `expected ..., got "<text>"`; the caller adds where the text came from.
Result<int64_t> parse_integer(std::string_view text, int64_t min, int64_t max);
Result<bool> parse_bool(std::string_view text);
Result<double> parse_number(std::string_view text);
// 500ms, 5s, 1m, 1h, 2d, or a bare integer meaning seconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                 std::chrono::milliseconds min,
                                                 std::chrono::milliseconds max);
// 1048576, 512KB, 10MB, 1GB (binary multiples; KiB/MiB/GiB also accepted).
Result<uint64_t> parse_byte_size(std::string_view text, uint64_t min, uint64_t max);
Result<std::string> parse_one_of(std::string_view text, const std::vector<std::string>& allowed);

// The shortest exact form in the units parse_duration accepts: 1500ms, 5s, 2h.
std::string format_duration(std::chrono::milliseconds value);

// Reads a file into a YAML document. Throws ConfigError for an unreadable
// file, a syntax error (with the parser's line) or a top level that is not a
// mapping. An empty file is an empty mapping.
YAML::Node load_yaml_file(const std::string& path);

// One YAML mapping being read into a struct. Every getter records its key as
// known; finish() then rejects any key nobody asked for, so a typo such as
// `prot:` is an error instead of a silently ignored setting.
//
// Getters return nullopt when the key is absent or has no value (`key:`), so
// callers keep the struct's default. Wrong types and bad values throw
// ConfigError naming the file, line and dotted key path.
class MapReader {
 public:
  // `path` is the dotted key path of this mapping ("" at the top level).
  // A null node reads as an empty mapping; any other non-mapping throws.
  MapReader(const YAML::Node& node, std::string file, std::string path);

  // Any scalar, taken as written (`token: 1234` is the string "1234").
  std::optional<std::string> string(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max);
  std::optional<double> number(const std::string& key);
  std::optional<std::chrono::milliseconds> duration(const std::string& key,
                                                    std::chrono::milliseconds min,
                                                    std::chrono::milliseconds max);
  std::optional<uint64_t> byte_size(const std::string& key, uint64_t min, uint64_t max);
  // A YAML list of non-empty strings; an empty list is allowed.
  std::optional<std::vector<std::string>> string_list(const std::string& key);
  std::optional<std::string> one_of(const std::string& key, const std::vector<std::string>& allowed);

  // Reads a nested mapping with `read`, then checks it for unknown keys.
  // Does nothing when the key is absent or empty.
  void section(const std::string& key, const std::function<void(MapReader&)>& read);

  // A list of mappings (`steps: [- name: a, ...]`), each read with `read`
  // and checked for unknown keys; paths read `steps[0].name`.
  void section_list(const std::string& key, const std::function<void(MapReader&, size_t index)>& read);
  // For mappings whose keys are names chosen by the operator (workflows,
  // actions): reads every entry's value as a mapping, in file order.
  void each_section(const std::function<void(const std::string& name, MapReader&)>& read);
  // A mapping of scalars, e.g. `params: {plan: "{plan}"}`.
  std::optional<std::map<std::string, std::string>> string_map(const std::string& key);

  // Throws unless the key is present with a value.
  void require(const std::string& key);
  // Whether the key is present (with or without a value); does not mark it known.
  bool has(const std::string& key) const { return find(key) != nullptr; }

  // Throws a ConfigError at the key's line (the mapping's if the key is
  // absent). For checks the typed getters cannot express.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  // Throws for the first key (in file order) that no getter asked for.
  void finish() const;

  std::string key_path(const std::string& key) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  // Records the key as known and returns its value, or nullptr when absent or null.
  const YAML::Node* lookup(const std::string& key);
  const Entry* find(const std::string& key) const;
  // Reads a scalar through `parse`, a Result<T>(std::string_view) function
  // whose errors end in `, got "<text>"`.
  template <class T, class Parse>
  std::optional<T> typed(const std::string& key, Parse parse);
  [[noreturn]] void fail_at(const YAML::Node& node, const std::string& key_path,
                            const std::string& message) const;

  std::string file_;
  std::string path_;
  int line_;
  std::vector<Entry> entries_;
  std::set<std::string> known_;
};

// 1-based line of a node, 0 when it has none.
int line_of(const YAML::Node& node);

}  // namespace baton::config
