#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "worker/intake/dir_intake.hpp"

namespace baton::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DirIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("baton-intake-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "incoming");
    watch_.name = "drop";
    watch_.dir = (root_ / "incoming").string();
    watch_.workflow = "dose";
    watch_.params = {{"site", "A"}};
    watch_.stable_for = 10s;
    open_ledger();
  }
  void TearDown() override { fs::remove_all(root_); }

  void open_ledger() {
    intake_.reset();
    ledger_.reset();
    ledger_ = std::move(IntakeLedger::open((root_ / "state" / "intake.db").string()).value());
    intake_ = std::make_unique<DirIntake>(std::vector<DirIntakeConfig>{watch_}, *ledger_, clock_);
  }
  void write(const std::string& rel, const std::string& text, std::ios::openmode mode = std::ios::trunc) {
    const fs::path p = root_ / "incoming" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::out | mode) << text;
  }
  std::vector<std::string> names(const std::vector<IntakeSubmission>& subs) {
    std::vector<std::string> out;
    for (const auto& s : subs) out.push_back(s.name);
    return out;
  }

  fs::path root_;
  DirIntakeConfig watch_;
  ManualClock clock_;
  std::unique_ptr<IntakeLedger> ledger_;
  std::unique_ptr<DirIntake> intake_;
};

TEST_F(DirIntakeTest, ASubdirectoryIsSubmittedOnceItHasBeenStableForTheConfiguredTime) {
  write("plan-1/ct.dcm", "part one");
  EXPECT_TRUE(intake_->scan().empty()) << "just appeared";
  clock_.advance(9s);
  EXPECT_TRUE(intake_->scan().empty()) << "stable for 9 s of 10";
  clock_.advance(1s);
  const auto subs = intake_->scan();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].case_id, "drop-plan-1");
  EXPECT_EQ(subs[0].workflow, "dose");
  EXPECT_EQ(subs[0].params.at("site"), "A");
  EXPECT_EQ(fs::path(subs[0].params.at("case_dir")), fs::absolute(root_ / "incoming" / "plan-1"));
  clock_.advance(1h);
  EXPECT_TRUE(intake_->scan().empty()) << "never twice";
}

TEST_F(DirIntakeTest, AHalfCopiedDirectoryWaitsUntilItStopsChanging) {
  write("plan-2/a.bin", "0123");
  intake_->scan();
  for (int i = 0; i < 5; ++i) {
    clock_.advance(8s);
    write("plan-2/a.bin", "more", std::ios::app);  // the copy is still going
    write("plan-2/sub/b" + std::to_string(i), "x");
    EXPECT_TRUE(intake_->scan().empty()) << "changed " << i;
  }
  clock_.advance(10s);
  EXPECT_EQ(names(intake_->scan()), std::vector<std::string>{"plan-2"});
}

TEST_F(DirIntakeTest, PartialFilesAndAMissingReadyFileHoldASubdirectory) {
  write("plan-3/data.part", "x");
  intake_->scan();
  clock_.advance(1h);
  EXPECT_TRUE(intake_->scan().empty()) << "a .part file means the copy is not done";
  fs::rename(root_ / "incoming/plan-3/data.part", root_ / "incoming/plan-3/data");
  intake_->scan();
  clock_.advance(10s);
  EXPECT_EQ(names(intake_->scan()), std::vector<std::string>{"plan-3"});

  watch_.ready_file = "READY";
  open_ledger();
  write("plan-4/data", "x");
  intake_->scan();
  clock_.advance(1h);
  EXPECT_TRUE(intake_->scan().empty()) << "no READY yet";
  write("plan-4/READY", "");
  intake_->scan();
  clock_.advance(10s);
  EXPECT_EQ(names(intake_->scan()), std::vector<std::string>{"plan-4"});
}

TEST_F(DirIntakeTest, TheLedgerRemembersAcrossRestartsAndKeepsUnconfirmedOnesForRepublishing) {
  write("plan-5/f", "x");
  write("plan-6/f", "y");
  write(".staging/f", "z");
  intake_->scan();
  clock_.advance(10s);
  const auto subs = intake_->scan();
  ASSERT_EQ(subs.size(), 2u) << "hidden directories are a copy tool's staging area";
  ASSERT_TRUE(ledger_->mark_confirmed(subs[0].case_id).ok());
  ASSERT_TRUE(ledger_->set_reply(subs[0].case_id, true, "").ok());

  open_ledger();  // the worker restarts
  intake_->scan();
  clock_.advance(1h);
  EXPECT_TRUE(intake_->scan().empty()) << "already submitted before the restart";
  const auto unconfirmed = ledger_->unconfirmed().value();
  ASSERT_EQ(unconfirmed.size(), 1u);
  EXPECT_EQ(unconfirmed[0].case_id, subs[1].case_id);
  EXPECT_EQ(unconfirmed[0].params, subs[1].params);
  EXPECT_EQ(unconfirmed[0].path, subs[1].path);
}

TEST_F(DirIntakeTest, CaseIdsAreSafeForUrlsAndRoutingWhateverTheDirectoryIsCalled) {
  EXPECT_EQ(intake_case_id("drop", "Patient 7/ä"), "drop-Patient_7___");
  EXPECT_EQ(intake_case_id("drop", "a.b-c_d"), "drop-a.b-c_d");
}

TEST_F(DirIntakeTest, AMissingWatchedDirectoryIsSkippedNotFatal) {
  fs::remove_all(root_ / "incoming");
  EXPECT_TRUE(intake_->scan().empty());
  fs::create_directories(root_ / "incoming");
  write("plan-7/f", "x");
  intake_->scan();
  clock_.advance(10s);
  EXPECT_EQ(names(intake_->scan()), std::vector<std::string>{"plan-7"});
}

}  // namespace
}  // namespace baton::worker
