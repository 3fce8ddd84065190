#include "common/amqp/broker_settings.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

namespace baton::amqp {

namespace {

// Messages never quote the URL itself: it may carry a password and ends up in logs.
Error url_error(const std::string& what) {
  return make_error(Errc::invalid_argument, "invalid AMQP URL: " + what);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

}  // namespace

Result<BrokerSettings> apply_amqp_url(BrokerSettings base, const std::string& url) {
  constexpr std::string_view scheme = "amqp://";
  std::string_view rest = url;
  if (rest.substr(0, scheme.size()) != scheme) {
    if (rest.substr(0, 8) == "amqps://") return url_error("amqps:// (TLS) is not supported yet");
    return url_error("must start with amqp://");
  }
  rest.remove_prefix(scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return url_error("query parameters are not supported; use the broker settings instead");
  }

  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);

  // User info is optional; without it the user and password of `base` stay.
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const size_t colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return url_error("bad percent-encoding in the user name");
    if (user->empty()) return url_error("empty user name before '@'");
    base.user = *user;
    if (colon != std::string_view::npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return url_error("bad percent-encoding in the password");
      base.password = *password;
    }
  }

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return url_error("unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return url_error("unexpected text after ']'");
    if (!after.empty()) port = after.substr(1);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return url_error("empty port after ':'");
  }
  if (host.empty()) return url_error("missing host");
  base.host = std::string(host);

  base.port = 5672;
  if (!port.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return url_error("port must be an integer from 1 to 65535, got \"" + std::string(port) + "\"");
    }
    base.port = value;
  }

  if (path.find('/') != std::string_view::npos) {
    return url_error("the vhost must be one path segment; write '/' inside it as %2f");
  }
  auto vhost = percent_decode(path);
  if (!vhost) return url_error("bad percent-encoding in the vhost");
  base.vhost = vhost->empty() ? "/" : *vhost;
  return base;
}

std::string redacted_url(const BrokerSettings& settings) {
  const bool ipv6 = settings.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + settings.host + "]" : settings.host;
  return "amqp://" + percent_encode(settings.user) + "@" + host + ":" +
         std::to_string(settings.port) + "/" + percent_encode(settings.vhost);
}

}  // namespace baton::amqp
