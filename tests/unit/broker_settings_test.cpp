#include <gtest/gtest.h>

#include "common/amqp/broker_settings.hpp"

namespace baton::amqp {
namespace {

using namespace std::chrono_literals;

BrokerSettings parse(const std::string& url, BrokerSettings base = {}) {
  auto result = apply_amqp_url(std::move(base), url);
  EXPECT_TRUE(result.ok()) << url << ": " << result.error().message;
  return result.ok() ? result.value() : BrokerSettings{};
}

std::string error_of(const std::string& url) {
  auto result = apply_amqp_url({}, url);
  if (result.ok()) return "no error";
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
  return result.error().message;
}

TEST(BrokerSettingsTest, FullUrl) {
  const auto s = parse("amqp://alice:s3cret@rabbit.example:5673/prod");
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.password, "s3cret");
  EXPECT_EQ(s.host, "rabbit.example");
  EXPECT_EQ(s.port, 5673);
  EXPECT_EQ(s.vhost, "prod");
}

TEST(BrokerSettingsTest, PercentDecodingOfUserPasswordAndVhost) {
  const auto s = parse("amqp://us%40er:p%3As%2Fs@h/%2f");
  EXPECT_EQ(s.user, "us@er");
  EXPECT_EQ(s.password, "p:s/s");
  EXPECT_EQ(s.vhost, "/");
  EXPECT_EQ(parse("amqp://h/team%2Fa").vhost, "team/a");
}

TEST(BrokerSettingsTest, DefaultPortAndVhost) {
  EXPECT_EQ(parse("amqp://h").port, 5672);
  EXPECT_EQ(parse("amqp://h").vhost, "/");
  EXPECT_EQ(parse("amqp://h/").vhost, "/");
  BrokerSettings base;
  base.port = 1234;
  base.vhost = "old";
  const auto s = parse("amqp://h", base);
  EXPECT_EQ(s.port, 5672);
  EXPECT_EQ(s.vhost, "/");
}

TEST(BrokerSettingsTest, MissingCredentialsKeepTheBaseOnes) {
  BrokerSettings base;
  base.user = "u0";
  base.password = "p0";
  base.connection_name = "kept";
  base.heartbeat = 30s;
  const auto anonymous = parse("amqp://h:1/", base);
  EXPECT_EQ(anonymous.user, "u0");
  EXPECT_EQ(anonymous.password, "p0");
  EXPECT_EQ(anonymous.connection_name, "kept");
  EXPECT_EQ(anonymous.heartbeat, 30s);

  const auto user_only = parse("amqp://baton@h", base);
  EXPECT_EQ(user_only.user, "baton");
  EXPECT_EQ(user_only.password, "p0");

  EXPECT_EQ(parse("amqp://baton:@h", base).password, "");
}

TEST(BrokerSettingsTest, Ipv6Host) {
  const auto s = parse("amqp://[::1]:5673/v");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 5673);
  EXPECT_EQ(redacted_url(s), "amqp://guest@[::1]:5673/v");
}

TEST(BrokerSettingsTest, InvalidUrls) {
  EXPECT_EQ(error_of("http://h/"), "invalid AMQP URL: must start with amqp://");
  EXPECT_EQ(error_of("amqps://h/"), "invalid AMQP URL: amqps:// (TLS) is not supported yet");
  EXPECT_EQ(error_of("amqp://u:p@h:abc/"),
            "invalid AMQP URL: port must be an integer from 1 to 65535, got \"abc\"");
  EXPECT_EQ(error_of("amqp://h:0/"),
            "invalid AMQP URL: port must be an integer from 1 to 65535, got \"0\"");
  EXPECT_EQ(error_of("amqp://h:/"), "invalid AMQP URL: empty port after ':'");
  EXPECT_EQ(error_of("amqp://u:p@/v"), "invalid AMQP URL: missing host");
  EXPECT_EQ(error_of("amqp://u%zz:p@h/"), "invalid AMQP URL: bad percent-encoding in the user name");
  EXPECT_EQ(error_of("amqp://h/v%2"), "invalid AMQP URL: bad percent-encoding in the vhost");
  EXPECT_EQ(error_of("amqp://h/a/b"),
            "invalid AMQP URL: the vhost must be one path segment; write '/' inside it as %2f");
  EXPECT_EQ(error_of("amqp://h/?heartbeat=5"),
            "invalid AMQP URL: query parameters are not supported; use the broker settings instead");
}

TEST(BrokerSettingsTest, ErrorsNeverShowThePassword) {
  EXPECT_EQ(error_of("amqp://u:hunter2@h:x/").find("hunter2"), std::string::npos);
}

TEST(BrokerSettingsTest, RedactedUrlLeavesOutThePassword) {
  const auto s = parse("amqp://baton:topsecret@127.0.0.1:5672/%2f");
  EXPECT_EQ(redacted_url(s), "amqp://baton@127.0.0.1:5672/%2f");
  EXPECT_EQ(redacted_url(parse("amqp://a%40b:x@h:1/my%20vhost")), "amqp://a%40b@h:1/my%20vhost");
  // What redacted_url prints parses back to the same place.
  const auto again = parse(redacted_url(s));
  EXPECT_EQ(again.host, s.host);
  EXPECT_EQ(again.vhost, s.vhost);
}

}  // namespace
}  // namespace baton::amqp
