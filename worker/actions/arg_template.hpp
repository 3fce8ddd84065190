#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.hpp"

namespace baton::worker {

// A config string with `{name}` placeholders, e.g. "--plan={plan}". `{{` and
// `}}` are literal braces. Expansion substitutes values verbatim: a value
// never becomes more than the substring it replaces, and nothing is split or
// interpreted.
class ArgTemplate {
 public:
  static Result<ArgTemplate> parse(std::string_view text);

  // Every placeholder must have a value (the config check guarantees it).
  std::string expand(const std::map<std::string, std::string>& values) const;
  std::vector<std::string> placeholders() const;
  bool has_placeholders() const;
  const std::string& source() const { return source_; }

 private:
  struct Piece {
    bool placeholder = false;
    std::string text;  // literal text, or the placeholder's name
  };
  std::string source_;
  std::vector<Piece> pieces_;
};

}  // namespace baton::worker
