#include "common/http/event_stream.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "common/http/server.hpp"
#include "tests/unit/dashboard/sse_client.hpp"

namespace baton::http {
namespace {

using testing::SseClient;

Router stream_router(std::shared_ptr<EventHub> hub) {
  Router router;
  router.add("GET", "/events", [hub](const ServerRequest&) { return open_event_stream(hub); });
  router.add("GET", "/plain", [](const ServerRequest&) {
    ServerResponse response;
    response.content_type = "text/plain";
    response.body = "hello";
    return response;
  });
  return router;
}

class EventStreamTest : public ::testing::Test {
 protected:
  void start(EventHubOptions options = {}) {
    hub_ = std::make_shared<EventHub>(options);
    server_ = std::make_unique<Server>("127.0.0.1", 0, stream_router(hub_));
    ASSERT_TRUE(server_->start().ok());
  }

  std::unique_ptr<SseClient> subscribe(int receive_buffer = 0) {
    auto client = std::make_unique<SseClient>(server_->port(), receive_buffer);
    client->send_request("/events");
    auto head = client->read_head();
    EXPECT_TRUE(head.has_value());
    if (head) {
      EXPECT_TRUE(head->starts_with("HTTP/1.1 200")) << *head;
      EXPECT_NE(head->find("Content-Type: text/event-stream"), std::string::npos) << *head;
      EXPECT_NE(head->find("Cache-Control: no-store"), std::string::npos) << *head;
    }
    return client;
  }

  std::shared_ptr<EventHub> hub_;
  std::unique_ptr<Server> server_;
};

TEST(EventFormatTest, SplitsDataIntoLinesAndCleansTheName) {
  EXPECT_EQ(format_event(7, "case", R"({"id":"c1"})"), "id: 7\nevent: case\ndata: {\"id\":\"c1\"}\n\n");
  EXPECT_EQ(format_event(1, "a\nb", "x\r\ny\nz"), "id: 1\nevent: ab\ndata: x\ndata: y\ndata: z\n\n");
  EXPECT_EQ(format_event(2, "", ""), "id: 2\ndata: \n\n");
}

TEST(EventFormatTest, OpeningAStreamOutsideAServerIsAnError) {
  EXPECT_EQ(open_event_stream(std::make_shared<EventHub>()).status, 500);
}

TEST_F(EventStreamTest, DeliversEventsInPublishOrderToEveryClient) {
  start();
  auto first = subscribe();
  auto second = subscribe();
  ASSERT_EQ(hub_->stats().subscribers, 2u);

  std::thread publisher([this] {
    for (int i = 0; i < 50; ++i) hub_->publish("case", R"({"n":)" + std::to_string(i) + "}");
    hub_->publish("alert", "line one\nline two");
  });
  publisher.join();

  for (auto* client : {first.get(), second.get()}) {
    for (int i = 0; i < 50; ++i) {
      auto event = client->next_event();
      ASSERT_TRUE(event.has_value()) << "event " << i;
      EXPECT_EQ(event->event, "case");
      EXPECT_EQ(event->data, R"({"n":)" + std::to_string(i) + "}");
      EXPECT_EQ(event->id, std::to_string(i + 1));
    }
    auto last = client->next_event();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->event, "alert");
    EXPECT_EQ(last->data, "line one\nline two");
    EXPECT_EQ(client->retry(), "3000");
  }
  EXPECT_EQ(hub_->stats().published, 51u);
}

TEST_F(EventStreamTest, SendsKeepAliveCommentsWhileIdle) {
  start(EventHubOptions{.keep_alive = std::chrono::milliseconds(20)});
  auto client = subscribe();
  EXPECT_TRUE(client->wait_for_text(": keep-alive\n\n"));
}

TEST_F(EventStreamTest, ServerStopClosesStreamsAndOtherRoutesStillWork) {
  start();
  auto client = subscribe();
  SseClient plain(server_->port());
  plain.send_request("/plain");
  ASSERT_TRUE(plain.wait_for_text("hello"));

  server_->stop();
  EXPECT_TRUE(client->read_until_closed());
  EXPECT_EQ(hub_->stats().subscribers, 0u);
  hub_->publish("case", "{}");  // nobody left to wake; must not touch the stopped server
}

TEST_F(EventStreamTest, AClientThatHangsUpIsUnsubscribed) {
  start();
  {
    auto client = subscribe();
    ASSERT_EQ(hub_->stats().subscribers, 1u);
  }
  // The server notices the hang-up on its own thread; a fresh subscriber's
  // head proves the server has run past it, and publishing then reaches only
  // the live one.
  auto live = subscribe();
  for (int published = 0; hub_->stats().subscribers != 1u; ++published) {
    ASSERT_LT(published, 100000) << "the hang-up was never noticed";
    hub_->publish("tick", "{}");
    ASSERT_TRUE(live->next_event().has_value());
  }
  EXPECT_EQ(hub_->stats().dropped, 0u);
}

TEST_F(EventStreamTest, ASlowClientIsDroppedWithoutHoldingUpTheOthers) {
  start(EventHubOptions{.max_buffered_bytes = 64 * 1024});
  auto slow = subscribe(/*receive_buffer=*/4096);  // never reads from here on
  auto fast = subscribe();
  const std::string payload(16 * 1024, 'x');
  int published = 0;
  while (hub_->stats().dropped == 0) {
    ASSERT_LT(published, 100000) << "the slow client was never dropped";
    hub_->publish("bulk", payload);
    ++published;
    auto event = fast->next_event();
    ASSERT_TRUE(event.has_value());
    ASSERT_EQ(event->id, std::to_string(published));
  }
  EXPECT_EQ(hub_->stats().subscribers, 1u);
  hub_->publish("after", "still here");
  auto after = fast->next_event();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->data, "still here");
  EXPECT_TRUE(slow->read_until_closed());
}

}  // namespace
}  // namespace baton::http
