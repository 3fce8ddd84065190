#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include "worker/event_outbox.hpp"

namespace baton::worker {
namespace {

v1::StepRef step(const std::string& case_id, unsigned attempt = 1) {
  v1::StepRef ref;
  ref.set_case_id(case_id);
  ref.set_attempt(attempt);
  ref.set_worker_id("w1");
  return ref;
}

v1::Envelope started(const std::string& case_id, unsigned attempt = 1) {
  v1::Envelope e;
  *e.mutable_step_started()->mutable_step() = step(case_id, attempt);
  e.mutable_step_started()->set_pid(100);
  return e;
}

v1::Envelope finished(const std::string& case_id, unsigned attempt = 1, bool with_start = true) {
  v1::Envelope e;
  *e.mutable_step_finished()->mutable_step() = step(case_id, attempt);
  e.mutable_step_finished()->set_outcome(v1::StepFinished::SUCCEEDED);
  if (with_start) *e.mutable_step_finished()->mutable_started() = started(case_id, attempt).step_started();
  return e;
}

v1::Envelope progress(const std::string& case_id) {
  v1::Envelope e;
  *e.mutable_step_progress()->mutable_step() = step(case_id);
  e.mutable_step_progress()->set_percent(50);
  return e;
}

// The strand is a list of posted drains the test runs when it likes.
class EventOutboxTest : public ::testing::Test {
 protected:
  EventOutbox outbox_{[this](std::function<void()> f) { posted_.push_back(std::move(f)); },
                      [this](v1::Envelope& e) { published_.push_back(describe(e)); }};
  std::vector<std::function<void()>> posted_;
  std::vector<std::string> published_;

  static std::string describe(const v1::Envelope& e) {
    if (e.has_step_started()) return "started " + e.step_started().step().case_id();
    if (e.has_step_progress()) return "progress " + e.step_progress().step().case_id();
    if (e.has_step_finished())
      return "finished " + e.step_finished().step().case_id() + (e.step_finished().has_started() ? " with start" : "");
    return "other";
  }
  void run_strand() {
    auto posted = std::move(posted_);
    posted_.clear();
    for (auto& f : posted) f();
  }
};

TEST_F(EventOutboxTest, EventsGoOutInOrderWithOnePostPerBurst) {
  outbox_.add(started("c1"));
  outbox_.add(progress("c1"));
  outbox_.add(started("c2"));
  EXPECT_EQ(posted_.size(), 1u);
  EXPECT_TRUE(published_.empty()) << "published from the strand only";
  run_strand();
  EXPECT_EQ(published_, (std::vector<std::string>{"started c1", "progress c1", "started c2"}));
  outbox_.add(finished("c1"));
  EXPECT_EQ(posted_.size(), 1u) << "a new burst posts again";
  run_strand();
  EXPECT_EQ(published_.back(), "finished c1 with start");
  EXPECT_EQ(outbox_.folded(), 0u) << "its StepStarted had gone out";
}

TEST_F(EventOutboxTest, AStepFinishedTakesThePlaceOfItsStepStartedStillWaiting) {
  outbox_.add(started("c1"));
  outbox_.add(started("c2"));
  outbox_.add(finished("c1"));
  EXPECT_EQ(posted_.size(), 1u);
  run_strand();
  EXPECT_EQ(published_, (std::vector<std::string>{"started c2", "finished c1 with start"}));
  EXPECT_EQ(outbox_.folded(), 1u);
}

TEST_F(EventOutboxTest, AStartWithTheStepsProgressBehindItStaysAhead) {
  outbox_.add(started("c1"));
  outbox_.add(progress("c1"));
  outbox_.add(finished("c1"));
  run_strand();
  EXPECT_EQ(published_, (std::vector<std::string>{"started c1", "progress c1", "finished c1 with start"}))
      << "progress must not reach the conductor before the start";
  EXPECT_EQ(outbox_.folded(), 0u);
}

TEST_F(EventOutboxTest, OnlyTheSameAttemptsStartIsReplacedAndOnlyByAnEndThatCarriesIt) {
  outbox_.add(started("c1", 1));
  outbox_.add(finished("c1", 2));
  outbox_.add(started("c3"));
  outbox_.add(finished("c3", 1, false));
  run_strand();
  EXPECT_EQ(published_,
            (std::vector<std::string>{"started c1", "finished c1 with start", "started c3", "finished c3"}));
  EXPECT_EQ(outbox_.folded(), 0u);
}

TEST_F(EventOutboxTest, AnEndFoldedIntoAWaitingStartPostsNoSecondDrain) {
  outbox_.add(started("c1"));
  outbox_.add(finished("c1"));
  EXPECT_EQ(posted_.size(), 1u) << "the first drain is still on its way";
  run_strand();
  EXPECT_EQ(published_, (std::vector<std::string>{"finished c1 with start"}));
}

TEST_F(EventOutboxTest, AnEndAddedWhileItsStartIsBeingPublishedFollowsIt) {
  // The StepStarted has left the waiting list and is being published when
  // the job's end comes in (from the watcher thread, in real life).
  EventOutbox* outbox = nullptr;
  EventOutbox racing([this](std::function<void()> f) { posted_.push_back(std::move(f)); },
                     [&](v1::Envelope& e) {
                       published_.push_back(describe(e));
                       if (e.has_step_started()) outbox->add(finished("c1"));
                     });
  outbox = &racing;
  racing.add(started("c1"));
  run_strand();
  EXPECT_EQ(published_, (std::vector<std::string>{"started c1"}));
  ASSERT_EQ(posted_.size(), 1u) << "the end needs a drain of its own";
  run_strand();
  EXPECT_EQ(published_, (std::vector<std::string>{"started c1", "finished c1 with start"}));
  EXPECT_EQ(racing.folded(), 0u);
}

TEST(EventOutbox, EventsFromSeveralThreadsAllGoOutEachInTheOrderItsThreadAddedThem) {
  std::mutex mu;
  std::deque<std::function<void()>> strand;
  std::map<std::string, std::vector<unsigned>> seen;  // per thread, the attempts published
  EventOutbox outbox(
      [&](std::function<void()> f) {
        std::lock_guard lock(mu);
        strand.push_back(std::move(f));
      },
      [&](v1::Envelope& e) { seen[e.step_progress().step().case_id()].push_back(e.step_progress().step().attempt()); });
  constexpr unsigned kEach = 2000;
  std::vector<std::thread> threads;
  for (const char* name : {"a", "b", "c"})
    threads.emplace_back([&outbox, name] {
      for (unsigned i = 0; i < kEach; ++i) {
        v1::Envelope e;
        e.mutable_step_progress()->mutable_step()->set_case_id(name);
        e.mutable_step_progress()->mutable_step()->set_attempt(i);
        outbox.add(std::move(e));
      }
    });
  std::atomic<bool> added{false};
  std::thread strand_thread([&] {  // the strand: runs drains until every event is out
    while (true) {
      std::function<void()> f;
      {
        std::lock_guard lock(mu);
        if (!strand.empty()) {
          f = std::move(strand.front());
          strand.pop_front();
        }
      }
      if (f) f();
      else if (added) break;
      else std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  added = true;
  strand_thread.join();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& [name, attempts] : seen) {
    ASSERT_EQ(attempts.size(), kEach) << name;
    for (unsigned i = 0; i < kEach; ++i) ASSERT_EQ(attempts[i], i) << name;
  }
}

}  // namespace
}  // namespace baton::worker
