#include "worker/maintenance/allowed_roots.hpp"

#include <gtest/gtest.h>

#include "tests/unit/maintenance/maintenance_test_support.hpp"

namespace baton::worker::maintenance {
namespace {

using testing::TempDir;
using testing::write_file;
namespace fs = std::filesystem;

class AllowedRootsTest : public ::testing::Test {
 protected:
  AllowedRootsTest() : roots_({tmp_ / "logs", tmp_ / "data"}) {
    fs::create_directories(tmp_ / "logs" / "app");
    fs::create_directories(tmp_ / "data");
    fs::create_directories(tmp_ / "outside");
    write_file(tmp_ / "logs" / "app" / "app.log", "x");
    write_file(tmp_ / "outside" / "secret", "s");
  }

  void expect_refused(const fs::path& path, const std::string& why) {
    auto checked = roots_.check(path);
    ASSERT_FALSE(checked.ok()) << path << " was accepted as " << checked.value();
    EXPECT_EQ(checked.error().code, Errc::refused);
    EXPECT_NE(checked.error().message.find(why), std::string::npos) << checked.error().message;
  }

  TempDir tmp_;
  AllowedRoots roots_;
};

TEST_F(AllowedRootsTest, AcceptsExistingAndNotYetExistingPathsInsideARoot) {
  auto existing = roots_.check(tmp_ / "logs" / "app" / "app.log");
  ASSERT_TRUE(existing.ok()) << existing.error().message;
  EXPECT_EQ(*existing, tmp_ / "logs" / "app" / "app.log");

  auto future = roots_.check(tmp_ / "data" / "backups" / "new.db");
  ASSERT_TRUE(future.ok()) << future.error().message;
  EXPECT_EQ(*future, tmp_ / "data" / "backups" / "new.db");

  auto root = roots_.check(tmp_ / "data");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, tmp_ / "data");
}

TEST_F(AllowedRootsTest, AppliesDotDotThatStaysInside) {
  auto checked = roots_.check((tmp_ / "logs" / "app" / ".." / "app" / "app.log").string());
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(*checked, tmp_ / "logs" / "app" / "app.log");
}

TEST_F(AllowedRootsTest, RefusesDotDotEscapes) {
  expect_refused(tmp_.path().string() + "/logs/../outside/secret", "outside the allowed roots");
  expect_refused(tmp_.path().string() + "/logs/app/../../outside/secret", "outside the allowed roots");
  // Through a directory that does not exist: resolved lexically, still out.
  expect_refused(tmp_.path().string() + "/logs/nope/../../outside/secret", "outside the allowed roots");
  expect_refused(tmp_.path().string() + "/logs/../../../../etc/passwd", "outside the allowed roots");
}

TEST_F(AllowedRootsTest, RefusesASiblingThatOnlySharesTheNamePrefix) {
  fs::create_directories(tmp_ / "logs2");
  expect_refused(tmp_ / "logs2" / "x.log", "outside the allowed roots");
}

TEST_F(AllowedRootsTest, RefusesSymlinksLeadingOutside) {
  fs::create_symlink(tmp_ / "outside", tmp_ / "logs" / "escape");
  fs::create_symlink(tmp_ / "outside" / "secret", tmp_ / "logs" / "secret-link");
  expect_refused(tmp_ / "logs" / "escape" / "secret", "resolves to");
  expect_refused(tmp_ / "logs" / "escape" / "not-yet", "outside the allowed roots");
  expect_refused(tmp_ / "logs" / "secret-link", "outside the allowed roots");
  expect_refused(tmp_ / "logs" / "escape", "outside the allowed roots");
}

TEST_F(AllowedRootsTest, FollowsSymlinksThatStayInside) {
  fs::create_symlink(tmp_ / "data", tmp_ / "logs" / "to-data");
  auto checked = roots_.check(tmp_ / "logs" / "to-data" / "x.db");
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(*checked, tmp_ / "data" / "x.db");
}

TEST_F(AllowedRootsTest, RefusesRelativePathsAndEverythingWithoutRoots) {
  expect_refused("logs/app/app.log", "must be absolute");
  expect_refused("", "empty path");
  AllowedRoots none;
  auto checked = none.check(tmp_ / "logs" / "app" / "app.log");
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("no allowed_roots"), std::string::npos);
}

TEST(IsWithinTest, ComparesWholeComponents) {
  EXPECT_TRUE(is_within("/srv/log/a", "/srv/log"));
  EXPECT_TRUE(is_within("/srv/log", "/srv/log"));
  EXPECT_FALSE(is_within("/srv/log2/a", "/srv/log"));
  EXPECT_FALSE(is_within("/srv", "/srv/log"));
}

}  // namespace
}  // namespace baton::worker::maintenance
