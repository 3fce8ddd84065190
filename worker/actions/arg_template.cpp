#include "worker/actions/arg_template.hpp"

namespace baton::worker {

namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

}  // namespace

Result<ArgTemplate> ArgTemplate::parse(std::string_view text) {
  ArgTemplate out;
  out.source_ = std::string(text);
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      return make_error(Errc::invalid_argument, "'}' without '{' (write }} for a literal brace)");
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    const size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return make_error(Errc::invalid_argument, "unclosed '{' (write {{ for a literal brace)");
    }
    std::string name(text.substr(i + 1, close - i - 1));
    bool valid = !name.empty();
    for (size_t k = 0; k < name.size() && valid; ++k) valid = name_char(name[k], k == 0);
    if (!valid) {
      return make_error(Errc::invalid_argument,
                        "bad placeholder {" + name + "}: expected a name of A-Z a-z 0-9 _ not starting with a digit");
    }
    if (!literal.empty()) out.pieces_.push_back({false, std::move(literal)});
    literal.clear();
    out.pieces_.push_back({true, std::move(name)});
    i = close;
  }
  if (!literal.empty()) out.pieces_.push_back({false, std::move(literal)});
  return out;
}

std::string ArgTemplate::expand(const std::map<std::string, std::string>& values) const {
  std::string out;
  for (const auto& piece : pieces_) {
    if (!piece.placeholder) {
      out += piece.text;
      continue;
    }
    auto it = values.find(piece.text);
    if (it != values.end()) out += it->second;
  }
  return out;
}

std::vector<std::string> ArgTemplate::placeholders() const {
  std::vector<std::string> names;
  for (const auto& piece : pieces_) {
    if (piece.placeholder) names.push_back(piece.text);
  }
  return names;
}

bool ArgTemplate::has_placeholders() const {
  for (const auto& piece : pieces_) {
    if (piece.placeholder) return true;
  }
  return false;
}

}  // namespace baton::worker
