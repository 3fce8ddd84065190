#include <gtest/gtest.h>

#include "common/amqp/confirm_tracker.hpp"

namespace baton::amqp {
namespace {

TEST(ConfirmTracker, NumbersPublishesFromOne) {
  ConfirmTracker<std::string> t;
  EXPECT_EQ(t.next_sequence(), 1u);
  EXPECT_EQ(t.track("a"), 1u);
  EXPECT_EQ(t.track("b"), 2u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(ConfirmTracker, SingleAckSettlesOnlyThatTag) {
  ConfirmTracker<std::string> t;
  t.track("a");
  t.track("b");
  t.track("c");
  EXPECT_EQ(t.settle(2, false), std::vector<std::string>{"b"});
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.settle(2, false).empty()) << "a tag settles once";
}

TEST(ConfirmTracker, MultipleAckSettlesEverythingUpToTheTagInOrder) {
  ConfirmTracker<std::string> t;
  for (auto s : {"a", "b", "c", "d", "e"}) t.track(s);
  t.settle(2, false);
  EXPECT_EQ(t.settle(4, true), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_NE(t.find(5), nullptr);
}

TEST(ConfirmTracker, NackWithMultipleWorksTheSameWay) {
  ConfirmTracker<int> t;
  for (int i = 0; i < 10; ++i) t.track(i);
  EXPECT_EQ(t.settle(10, true).size(), 10u);
  EXPECT_TRUE(t.empty());
}

TEST(ConfirmTracker, UnknownTagSettlesNothing) {
  ConfirmTracker<int> t;
  t.track(1);
  EXPECT_TRUE(t.settle(99, false).empty());
  EXPECT_EQ(t.size(), 1u);
}

TEST(ConfirmTracker, ResetHandsBackOutstandingInOrderAndRestartsNumbering) {
  ConfirmTracker<std::string> t;
  for (auto s : {"a", "b", "c"}) t.track(s);
  t.settle(1, false);
  EXPECT_EQ(t.reset(), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.track("d"), 1u);
}

}  // namespace
}  // namespace baton::amqp
