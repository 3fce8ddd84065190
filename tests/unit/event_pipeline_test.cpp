#include <gtest/gtest.h>

#include "common/amqp/fake_transport.hpp"
#include "common/codec/envelope_codec.hpp"
#include "conductor/core/event_pipeline.hpp"
#include "conductor/tasks/task_scheduler.hpp"

namespace baton::conductor {
namespace {

class EventPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(ConductorStore::open(":memory:").value());
    registry_ = std::make_unique<WorkerRegistry>(*store_, clock_, WorkersConfig{});
    ASSERT_TRUE(registry_->load().ok());
    pipeline_ = std::make_unique<EventPipeline>(*store_, transport_, *registry_);
  }

  amqp::Delivery delivery(const v1::Envelope& e) {
    amqp::Delivery d;
    d.delivery_tag = ++tag_;
    d.generation = 1;
    d.body = codec::encode(e);
    d.content_type = std::string(codec::kProtobuf);
    d.message_id = e.message_id();
    return d;
  }
  amqp::Delivery heartbeat(const std::string& id, uint64_t seq) {
    v1::Envelope e;
    e.mutable_worker_heartbeat()->set_worker_id(id);
    e.mutable_worker_heartbeat()->set_sequence(seq);
    codec::stamp(e, "test", clock_.now());
    return delivery(e);
  }

  ManualClock clock_;
  amqp::FakeTransport transport_;
  std::unique_ptr<ConductorStore> store_;
  std::unique_ptr<WorkerRegistry> registry_;
  std::unique_ptr<EventPipeline> pipeline_;
  uint64_t tag_ = 0;
};

TEST_F(EventPipelineTest, AcksOnlyAfterTheBatchIsCommitted) {
  EXPECT_TRUE(pipeline_->handle(heartbeat("w1", 1))) << "the first event asks for a flush";
  EXPECT_FALSE(pipeline_->handle(heartbeat("w2", 1)));
  EXPECT_TRUE(transport_.acks().empty());
  EXPECT_TRUE(store_->in_batch());
  ASSERT_TRUE(pipeline_->flush().ok());
  EXPECT_FALSE(store_->in_batch());
  ASSERT_EQ(transport_.acks().size(), 1u) << "one multiple ack settles the batch";
  EXPECT_EQ(transport_.acks()[0].first.delivery_tag, 2u);
  EXPECT_TRUE(transport_.acks()[0].second);
  // Durable: a second connection to the same database would see both.
  EXPECT_EQ(store_->count_workers()->online, 2u);
  EXPECT_EQ(pipeline_->stats().batches, 1u);
}

TEST_F(EventPipelineTest, AWorkerThatRegistersAgainWithNewLabelsFollowsThemInTheSchedules) {
  TaskDefinition gpu_check;
  gpu_check.name = "gpu_temp";
  gpu_check.type = "gpu";
  gpu_check.targets.labels = {"gpu"};
  ScheduleSpec every;
  every.name = gpu_check.schedule_name();
  every.interval = std::chrono::seconds(60);
  gpu_check.schedule = every;
  TaskScheduler tasks(*store_, transport_, *registry_, clock_, {{"gpu_temp", gpu_check}});
  ASSERT_TRUE(tasks.load().ok());
  pipeline_->set_task_scheduler(&tasks);
  auto registration = [&](const std::string& label) {
    v1::Envelope e;
    auto* r = e.mutable_worker_register();
    r->set_worker_id("w1");
    r->set_slots(1);
    r->add_labels(label);
    codec::stamp(e, "test", clock_.now());
    return delivery(e);
  };
  // As the conductor's timer does: the requests go out with the commit.
  auto tick = [&] {
    ASSERT_TRUE(tasks.tick().ok());
    ASSERT_TRUE(pipeline_->flush().ok());
  };
  pipeline_->handle(registration("cpu"));
  ASSERT_TRUE(pipeline_->flush().ok());
  tick();
  EXPECT_TRUE(transport_.published().empty()) << "not a gpu worker yet";

  // Restarted at once with a GPU: still online, so no status change.
  pipeline_->handle(registration("gpu"));
  ASSERT_TRUE(pipeline_->flush().ok());
  tick();
  ASSERT_EQ(transport_.published().size(), 1u);
  EXPECT_EQ(transport_.published()[0].message.routing_key, "worker.w1");

  pipeline_->handle(registration("cpu"));  // and the GPU is gone again
  ASSERT_TRUE(pipeline_->flush().ok());
  clock_.advance(std::chrono::minutes(5));
  tick();
  EXPECT_EQ(transport_.published().size(), 1u) << "no longer a target";
  pipeline_->set_task_scheduler(nullptr);
}

TEST_F(EventPipelineTest, AFailedCommitRequeuesTheBatchAndCallsTheFailureHandler) {
  std::vector<std::string> failures;
  size_t rejected_before_handler = 0;
  pipeline_->set_database_failure_handler([&](const Error& e) {
    failures.push_back(e.message);
    rejected_before_handler = transport_.rejects().size();
  });
  pipeline_->handle(heartbeat("w1", 1));
  pipeline_->handle(heartbeat("w2", 1));
  // A row the database will refuse only at COMMIT: a deferred foreign key.
  ASSERT_TRUE(store_->db()
                  .exec("PRAGMA defer_foreign_keys = ON; INSERT INTO case_history (case_id, at_ms, status, step, "
                        "attempt) VALUES ('no-such-case', 0, 'QUEUED', 0, 1)")
                  .ok());
  EXPECT_FALSE(pipeline_->flush().ok());
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("FOREIGN KEY"), std::string::npos) << failures[0];
  EXPECT_TRUE(transport_.acks().empty()) << "nothing of the batch is acked";
  ASSERT_EQ(transport_.rejects().size(), 2u);
  EXPECT_TRUE(transport_.rejects()[0].second && transport_.rejects()[1].second) << "both requeued";
  EXPECT_EQ(rejected_before_handler, 2u) << "handed back before the handler may end the process";
  EXPECT_EQ(pipeline_->stats().commit_failures, 1u);
  EXPECT_EQ(store_->count_workers()->online, 0u) << "rolled back";
}

TEST_F(EventPipelineTest, ADatabaseErrorWhileApplyingRequeuesTheEventAndCallsTheFailureHandler) {
  std::vector<std::string> failures;
  pipeline_->set_database_failure_handler([&](const Error& e) { failures.push_back(e.message); });
  ASSERT_TRUE(store_->db()
                  .exec("CREATE TRIGGER refuse BEFORE INSERT ON workers WHEN NEW.id = 'doomed' "
                        "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
                  .ok());
  pipeline_->handle(heartbeat("doomed", 1));
  ASSERT_EQ(failures.size(), 1u) << "its sequence is already in memory: redelivered, it would be dropped";
  EXPECT_NE(failures[0].find("the disk is full"), std::string::npos) << failures[0];
  ASSERT_EQ(transport_.rejects().size(), 1u);
  EXPECT_TRUE(transport_.rejects()[0].second) << "requeued";
  EXPECT_TRUE(transport_.dead_letters().empty()) << "not the message's fault";
}

TEST_F(EventPipelineTest, AFullBatchFlushesByItself) {
  for (size_t i = 1; i <= EventPipeline::kMaxBatch; ++i) pipeline_->handle(heartbeat("w1", i));
  ASSERT_EQ(transport_.acks().size(), 1u);
  EXPECT_EQ(transport_.acks()[0].first.delivery_tag, EventPipeline::kMaxBatch);
  EXPECT_EQ(pipeline_->pending(), 0u);
}

TEST_F(EventPipelineTest, GarbageIsDeadLetteredWithTheReasonAndTheRestGoesOn) {
  amqp::Delivery junk;
  junk.delivery_tag = ++tag_;
  junk.body = "not protobuf";
  junk.content_type = "application/x-protobuf";
  pipeline_->handle(std::move(junk));
  pipeline_->handle(heartbeat("w1", 1));
  ASSERT_TRUE(pipeline_->flush().ok());
  ASSERT_EQ(transport_.dead_letters().size(), 1u);
  EXPECT_EQ(transport_.dead_letters()[0].first.delivery_tag, 1u);
  EXPECT_NE(transport_.dead_letters()[0].second.find("not a protobuf Envelope"), std::string::npos);
  ASSERT_EQ(transport_.acks().size(), 1u);
  EXPECT_EQ(transport_.acks()[0].first.delivery_tag, 2u) << "the dead-lettered one is acked by the transport";
  EXPECT_EQ(pipeline_->stats().dead_lettered, 1u);
}

TEST_F(EventPipelineTest, AnOversizedMessageIsRejectedToTheQueuesDeadLetterExchange) {
  amqp::Delivery big;
  big.delivery_tag = ++tag_;
  big.oversized = true;
  big.body_size = 5'000'000;
  pipeline_->handle(std::move(big));
  ASSERT_TRUE(pipeline_->flush().ok());
  ASSERT_EQ(transport_.rejects().size(), 1u);
  EXPECT_FALSE(transport_.rejects()[0].second) << "not requeued";
  EXPECT_TRUE(transport_.dead_letters().empty());
}

TEST_F(EventPipelineTest, JsonEnvelopesAreApplied) {
  amqp::Delivery d;
  d.delivery_tag = ++tag_;
  d.content_type = "application/json";
  d.body = R"({"worker_register":{"worker_id":"scripted","slots":3}})";
  pipeline_->handle(std::move(d));
  ASSERT_TRUE(pipeline_->flush().ok());
  ASSERT_NE(registry_->find("scripted"), nullptr);
  EXPECT_EQ(registry_->find("scripted")->slots, 3u);
  EXPECT_EQ(transport_.acks().size(), 1u);
}

}  // namespace
}  // namespace baton::conductor

namespace baton::conductor {
namespace {

TEST_F(EventPipelineTest, AMultipleAckNeverCoversADeadLetterStillInFlight) {
  std::vector<std::function<void()>> deferred;
  pipeline_->set_post([&](std::function<void()> f) { deferred.push_back(std::move(f)); });
  amqp::Delivery junk;
  junk.delivery_tag = ++tag_;
  junk.generation = 1;
  junk.body = "garbage";
  pipeline_->handle(std::move(junk));
  pipeline_->handle(heartbeat("w1", 1));
  pipeline_->handle(heartbeat("w1", 2));
  ASSERT_TRUE(pipeline_->flush().ok());
  ASSERT_EQ(transport_.acks().size(), 2u) << "individual acks while tag 1 is unsettled";
  EXPECT_FALSE(transport_.acks()[0].second);

  for (auto& f : deferred) f();  // the dead-letter copy was confirmed
  pipeline_->handle(heartbeat("w1", 3));
  pipeline_->handle(heartbeat("w1", 4));
  ASSERT_TRUE(pipeline_->flush().ok());
  ASSERT_EQ(transport_.acks().size(), 3u);
  EXPECT_EQ(transport_.acks()[2].first.delivery_tag, 5u);
  EXPECT_TRUE(transport_.acks()[2].second);
}

TEST_F(EventPipelineTest, ABatchThatSpansAReconnectIsAckedOneByOne) {
  pipeline_->handle(heartbeat("w1", 1));
  auto after_reconnect = heartbeat("w1", 2);
  after_reconnect.generation = 2;
  after_reconnect.delivery_tag = 1;
  pipeline_->handle(std::move(after_reconnect));
  ASSERT_TRUE(pipeline_->flush().ok());
  ASSERT_EQ(transport_.acks().size(), 2u);
  EXPECT_FALSE(transport_.acks()[1].second);
}

}  // namespace
}  // namespace baton::conductor
