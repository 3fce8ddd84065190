#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <vector>

#include "common/amqp/fake_transport.hpp"
#include "common/core/clock.hpp"
#include "conductor/core/strand_call.hpp"
#include "conductor/core/worker_registry.hpp"

namespace baton::conductor {
namespace {

// The core strand as a queue the test runs by hand.
class StrandCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(ConductorStore::open(":memory:").value());
    registry_ = std::make_unique<WorkerRegistry>(*store_, clock_, WorkersConfig{});
    pipeline_ = std::make_unique<EventPipeline>(*store_, transport_, *registry_);
    call_ = std::make_unique<StrandCall>(
        [this](std::function<void()> f) {
          std::lock_guard lock(mu_);
          queued_.push_back(std::move(f));
          posted_.notify_all();
        },
        *pipeline_);
  }
  void wait_for_post() {
    std::unique_lock lock(mu_);
    posted_.wait(lock, [&] { return !queued_.empty(); });
  }
  void run_queued() {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard lock(mu_);
      now.swap(queued_);
    }
    for (auto& f : now) f();
  }

  ManualClock clock_;
  amqp::FakeTransport transport_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<WorkerRegistry> registry_;
  std::unique_ptr<EventPipeline> pipeline_;
  std::unique_ptr<StrandCall> call_;
  std::mutex mu_;
  std::condition_variable posted_;
  std::vector<std::function<void()>> queued_;
};

TEST_F(StrandCallTest, AnswersWithTheWorkDoneOnTheStrand) {
  auto answer = std::async(std::launch::async,
                           [&] { return call_->operator()<int>([]() -> Result<int> { return 42; }); });
  wait_for_post();
  run_queued();
  const auto r = answer.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
}

TEST_F(StrandCallTest, ADatabaseErrorInTheWorkIsReportedAsADatabaseFailure) {
  std::optional<Error> reported;
  pipeline_->set_database_failure_handler([&](const Error& e) { reported = e; });
  auto answer = std::async(std::launch::async, [&] {
    return call_->operator()<int>([]() -> Result<int> { return make_error(Errc::database, "disk I/O error"); });
  });
  wait_for_post();
  run_queued();
  EXPECT_FALSE(answer.get().ok());
  ASSERT_TRUE(reported.has_value()) << "memory may be ahead of the database: the conductor must stop";
  EXPECT_EQ(reported->message, "disk I/O error");
}

// The HTTP thread's call is queued behind the shutdown, which is busy joining
// that very thread: the call gives up once the strand has closed instead of
// holding the shutdown for the whole answer timeout, and its work never runs.
TEST_F(StrandCallTest, ACallWaitingBehindTheShutdownIsRefusedOnceTheStrandCloses) {
  bool ran = false;
  auto waiting = std::async(std::launch::async, [&] {
    return call_->operator()<int>([&]() -> Result<int> {
      ran = true;
      return 1;
    });
  });
  wait_for_post();
  call_->close();
  const auto r = waiting.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_NE(r.error().message.find("shutting down"), std::string::npos) << r.error().message;
  run_queued();  // the strand gets to the queued call after all
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace baton::conductor
