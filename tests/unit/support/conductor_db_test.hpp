#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/http/router.hpp"
#include "common/http/url.hpp"
#include "conductor/store/conductor_store.hpp"

namespace baton::conductor::testing {

inline constexpr const char* kApiToken = "s3cret";

// A real conductor database in a fresh directory of its own per test.
class ConductorDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-" + std::string(info->test_suite_name()) + "-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    database_ = (dir_ / "baton.db").string();
    auto store = ConductorStore::open(database_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::string database_;
  std::unique_ptr<ConductorStore> store_;
};

// The API's routes called through the router, no socket: tests install the
// routes into router_ with the dependencies they fake.
class RouteTest : public ConductorDbTest {
 protected:
  struct Reply {
    int status = 0;
    nlohmann::json body;
    std::map<std::string, std::string> headers;
  };

  Reply call(const std::string& method, const std::string& target, const std::string& body = {},
             const std::string& token = kApiToken) {
    http::ServerRequest request;
    request.method = method;
    request.target = target;
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = http::parse_query(target.substr(question + 1));
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    request.body = body;
    const auto response = router_.dispatch(request);
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << response.body;
    return Reply{response.status, parsed, response.headers};
  }

  ManualClock clock_{from_unix_ms(1'700'000'100'000)};
  http::Router router_;
};

}  // namespace baton::conductor::testing
