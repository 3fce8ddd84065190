#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "common/amqp/rabbit_transport.hpp"
#include "common/amqp/topology_names.hpp"
#include "tests/integration/support/broker_env.hpp"

namespace baton::amqp {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

Topology test_topology() {
  Topology t = shared_topology();
  t.exchanges.push_back({"t.x", "topic"});
  t.queues.push_back({"t.q", kDeadLetterExchange, std::nullopt, std::nullopt});
  t.bindings.push_back({"t.q", "t.x", "k.#"});
  return t;
}

// On the test topology; an empty queue publishes only.
RabbitTransportOptions test_options(const BrokerSettings& settings, std::string consume_queue = "") {
  RabbitTransportOptions options;
  options.broker = settings;
  options.topology = test_topology();
  options.consume_queue = std::move(consume_queue);
  return options;
}

// Collects deliveries on the consumer's I/O thread and lets the test wait for them.
class Inbox {
 public:
  void add(Delivery d) {
    {
      std::lock_guard lock(mu_);
      ids_.insert(d.message_id);
      ++count_;
      last_ = std::move(d);
    }
    cv_.notify_all();
  }
  bool wait_for(std::function<bool(const std::set<std::string>&, size_t)> pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(ids_, count_); });
  }
  std::set<std::string> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }
  Delivery last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> ids_;
  size_t count_ = 0;
  Delivery last_;
};

class Confirms {
 public:
  PublishCallback track(const std::string& id) {
    return [this, id](PublishOutcome outcome) {
      {
        std::lock_guard lock(mu_);
        outcomes_[id] = outcome;
      }
      cv_.notify_all();
    };
  }
  bool wait_for_count(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return outcomes_.size() >= n; });
  }
  std::set<std::string> confirmed() {
    std::lock_guard lock(mu_);
    std::set<std::string> out;
    for (auto& [id, o] : outcomes_)
      if (o == PublishOutcome::confirmed) out.insert(id);
    return out;
  }
  std::optional<PublishOutcome> outcome(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = outcomes_.find(id);
    return it == outcomes_.end() ? std::nullopt : std::optional(it->second);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, PublishOutcome> outcomes_;
};

OutgoingMessage message(const std::string& id, std::string body = "payload") {
  OutgoingMessage m;
  m.exchange = "t.x";
  m.routing_key = "k.test";
  m.message_id = id;
  m.body = std::move(body);
  m.type = "test";
  return m;
}

// A consumer on t.q whose handler can settle through its own transport
// (deliveries flow only after start(), when the pointer is set).
std::unique_ptr<RabbitTransport> consumer_on(const BrokerSettings& settings,
                                             std::function<void(RabbitTransport&, Delivery)> handle) {
  auto self = std::make_shared<RabbitTransport*>(nullptr);
  auto consumer = std::make_unique<RabbitTransport>(test_options(settings, "t.q"),
                                                    [self, handle](Delivery d) { handle(**self, std::move(d)); });
  *self = consumer.get();
  return consumer;
}

// Nothing left on t.q, ready or unacked: every delivery was settled.
bool test_queue_settled(const BrokerSettings& settings) {
  return eventually([&] {
    auto q = testing::mgmt_get("/api/queues/" + testing::encode_vhost(settings.vhost) + "/t.q");
    return q.value("messages", -1) == 0;
  }, 20s);
}

TEST(RabbitTransport, PublishesWithConfirmsAndConsumesWithAcks) {
  const auto settings = testing::make_vhost("transport-basic");
  Inbox inbox;
  auto consumer_owner = consumer_on(settings, [&](RabbitTransport& self, Delivery d) {
    self.ack(ref(d));
    inbox.add(std::move(d));
  });
  RabbitTransport& consumer = *consumer_owner;
  RabbitTransport publisher(test_options(settings));
  consumer.start();
  publisher.start();

  Confirms confirms;
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) publisher.publish(message("m" + std::to_string(i)), confirms.track("m" + std::to_string(i)));

  ASSERT_TRUE(confirms.wait_for_count(kCount, 30s));
  EXPECT_EQ(confirms.confirmed().size(), static_cast<size_t>(kCount));
  ASSERT_TRUE(inbox.wait_for([](auto& ids, size_t) { return ids.size() >= kCount; }, 30s));
  EXPECT_EQ(inbox.last().body, "payload");
  EXPECT_EQ(inbox.last().type, "test");
  // Every delivery was acked: nothing is left ready or unacked on the queue.
  EXPECT_TRUE(test_queue_settled(settings));
  EXPECT_EQ(publisher.stats().confirmed.load(), static_cast<uint64_t>(kCount));
  consumer.stop();
  publisher.stop();
}

TEST(RabbitTransport, DeadLetterKeepsTheMessageAndSaysWhy) {
  const auto settings = testing::make_vhost("transport-dead");
  Inbox inbox;
  auto consumer_owner = consumer_on(settings, [&](RabbitTransport& self, Delivery d) {
    self.dead_letter(d, "cannot decode: test garbage");
    inbox.add(std::move(d));
  });
  RabbitTransport& consumer = *consumer_owner;
  consumer.start();
  RabbitTransport publisher(test_options(settings));
  publisher.start();
  Confirms confirms;
  publisher.publish(message("bad-1", "\x01\x02garbage"), confirms.track("bad-1"));
  ASSERT_TRUE(confirms.wait_for_count(1, 10s));

  ASSERT_TRUE(eventually([&] { return testing::queue_depth(settings.vhost, kDeadQueue) == 1; }, 20s));
  auto dead = testing::take_messages(settings.vhost, kDeadQueue, 1);
  ASSERT_EQ(dead.size(), 1u);
  const auto& headers = dead[0]["properties"]["headers"];
  EXPECT_EQ(headers["x-baton-reason"], "cannot decode: test garbage");
  EXPECT_EQ(headers["x-baton-original-queue"], "t.q");
  EXPECT_EQ(dead[0]["properties"]["message_id"], "bad-1");
  // The original was acked once its copy was safe.
  EXPECT_TRUE(test_queue_settled(settings));
  consumer.stop();
  publisher.stop();
}

TEST(RabbitTransport, WithoutPersistentMessagesOnlyRecoverableOnesAreTransientAndNeverTheirDeadLetters) {
  auto settings = testing::make_vhost("transport-transient");
  RabbitTransport persistent(test_options(settings));
  settings.persistent_messages = false;
  RabbitTransport transient(test_options(settings));
  persistent.start();
  transient.start();
  Confirms confirms;
  persistent.publish(message("p-1"), confirms.track("p-1"));
  ASSERT_TRUE(confirms.wait_for_count(1, 10s));
  OutgoingMessage recoverable = message("t-1");
  recoverable.recoverable = true;
  transient.publish(recoverable, confirms.track("t-1"));
  ASSERT_TRUE(confirms.wait_for_count(2, 10s));
  transient.publish(message("s-1"), confirms.track("s-1"));  // e.g. a submission: nothing else would bring it back
  ASSERT_TRUE(confirms.wait_for_count(3, 10s));
  auto queued = testing::take_messages(settings.vhost, "t.q", 3);
  ASSERT_EQ(queued.size(), 3u);
  EXPECT_EQ(queued[0]["properties"]["delivery_mode"], 2) << "persistent by default";
  EXPECT_EQ(queued[1]["properties"]["delivery_mode"], 1) << "recoverable: kept in the broker's memory only";
  EXPECT_EQ(queued[2]["properties"]["delivery_mode"], 2) << "not recoverable: persistent whatever the setting";

  auto consumer_owner = consumer_on(settings, [&](RabbitTransport& self, Delivery d) {
    self.dead_letter(d, "refused: test");
  });
  consumer_owner->start();
  OutgoingMessage doomed = message("t-2");
  doomed.recoverable = true;
  transient.publish(doomed, confirms.track("t-2"));
  ASSERT_TRUE(eventually([&] { return testing::queue_depth(settings.vhost, kDeadQueue) == 1; }, 20s));
  auto dead = testing::take_messages(settings.vhost, kDeadQueue, 1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["properties"]["delivery_mode"], 2) << "what an operator must inspect survives a restart";
  EXPECT_EQ(dead[0]["properties"]["headers"]["x-baton-reason"], "refused: test");
  consumer_owner->stop();
  transient.stop();
  persistent.stop();
}

TEST(RabbitTransport, MandatoryUnroutableMessageIsReturned) {
  const auto settings = testing::make_vhost("transport-return");
  RabbitTransport publisher(test_options(settings));
  publisher.start();
  Confirms confirms;
  auto m = message("lost-1");
  m.routing_key = "nobody.listens";
  m.mandatory = true;
  publisher.publish(m, confirms.track("lost-1"));
  auto ok = message("ok-1");
  ok.mandatory = true;
  publisher.publish(ok, confirms.track("ok-1"));
  ASSERT_TRUE(confirms.wait_for_count(2, 10s));
  EXPECT_EQ(confirms.outcome("lost-1"), PublishOutcome::returned);
  EXPECT_EQ(confirms.outcome("ok-1"), PublishOutcome::confirmed);
  publisher.stop();
}

TEST(RabbitTransport, OversizedBodyIsFlaggedNotHeld) {
  auto settings = testing::make_vhost("transport-big");
  settings.max_message_bytes = 1000;
  Inbox inbox;
  auto consumer_owner = consumer_on(settings, [&](RabbitTransport& self, Delivery d) {
    if (d.oversized) self.reject(ref(d), false);
    else self.ack(ref(d));
    inbox.add(std::move(d));
  });
  RabbitTransport& consumer = *consumer_owner;
  consumer.start();
  RabbitTransport publisher(test_options(settings));
  publisher.start();
  publisher.publish(message("big", std::string(5000, 'x')), {});
  ASSERT_TRUE(inbox.wait_for([](auto&, size_t n) { return n >= 1; }, 10s));
  const Delivery big = inbox.last();
  EXPECT_TRUE(big.oversized);
  EXPECT_EQ(big.body_size, 5000u);
  EXPECT_TRUE(big.body.empty());
  publisher.publish(message("small"), {});
  ASSERT_TRUE(inbox.wait_for([](auto& ids, size_t) { return ids.count("small") == 1; }, 10s));
  // The rejected original went to the queue's dead-letter exchange intact.
  ASSERT_TRUE(eventually([&] { return testing::queue_depth(settings.vhost, kDeadQueue) == 1; }, 20s));
  EXPECT_EQ(testing::take_messages(settings.vhost, kDeadQueue, 1)[0]["payload_bytes"], 5000);
  consumer.stop();
  publisher.stop();
}

// Stops the broker application while a publisher and a consumer are busy,
// starts it again, and checks that both reconnect on their own and that every
// message the broker confirmed reaches the consumer.
TEST(RabbitTransport, SurvivesBrokerRestartWithoutLosingConfirmedMessages) {
  const auto settings = testing::make_vhost("transport-restart");
  Inbox inbox;
  auto consumer_owner = consumer_on(settings, [&](RabbitTransport& self, Delivery d) {
    self.ack(ref(d));
    inbox.add(std::move(d));
  });
  RabbitTransport& consumer = *consumer_owner;
  RabbitTransport publisher(test_options(settings));
  consumer.start();
  publisher.start();

  Confirms confirms;
  std::atomic<bool> keep_publishing{true};
  std::atomic<int> sent{0};
  std::thread producer([&] {
    while (keep_publishing.load()) {
      const std::string id = "r" + std::to_string(sent.load());
      publisher.publish(message(id), confirms.track(id));
      sent.fetch_add(1);
      // Pace the producer so the outage happens mid-stream rather than after it.
      std::this_thread::sleep_for(2ms);
    }
  });

  ASSERT_TRUE(confirms.wait_for_count(200, 30s));
  ASSERT_EQ(testing::broker_ctl({"stop_app"}), 0);
  EXPECT_TRUE(eventually([&] { return !publisher.connected() && !consumer.connected(); }, 30s));
  ASSERT_EQ(testing::broker_ctl({"start_app"}), 0);
  EXPECT_TRUE(eventually([&] { return publisher.connected() && consumer.connected(); }, 60s));
  const size_t before = confirms.confirmed().size();
  EXPECT_TRUE(eventually([&] { return confirms.confirmed().size() > before + 200; }, 30s));
  keep_publishing = false;
  producer.join();
  ASSERT_TRUE(confirms.wait_for_count(static_cast<size_t>(sent.load()), 60s));

  const auto confirmed = confirms.confirmed();
  ASSERT_TRUE(inbox.wait_for(
      [&](auto& ids, size_t) {
        for (const auto& id : confirmed)
          if (!ids.count(id)) return false;
        return true;
      },
      60s))
      << "confirmed " << confirmed.size() << ", received " << inbox.ids().size();
  EXPECT_GE(publisher.stats().reconnects.load() + consumer.stats().reconnects.load(), 2u);
  consumer.stop();
  publisher.stop();
}

}  // namespace
}  // namespace baton::amqp
