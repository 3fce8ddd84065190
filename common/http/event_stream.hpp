#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/router.hpp"

namespace baton::http {

struct EventHubOptions {
  // A comment line is sent to an idle client this often, so proxies and
  // browsers keep the connection and a dead peer is noticed.
  std::chrono::milliseconds keep_alive{15000};
  // Bytes a client may fall behind by before it is dropped: one slow reader
  // must not make the server hold every event forever.
  size_t max_buffered_bytes = 1024 * 1024;
  // How long an EventSource waits before reconnecting (the SSE retry field).
  std::chrono::milliseconds client_retry{3000};
};

// Fans Server-Sent Events out to every connected client. publish() may be
// called from any thread; each client receives events in publish order.
class EventHub {
 public:
  explicit EventHub(EventHubOptions options = {});
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // event: a name without newlines (they are removed); data: any text, JSON
  // usually, sent as one data: line per line of text.
  void publish(std::string_view event, std::string_view data);

  struct Stats {
    size_t subscribers = 0;
    uint64_t published = 0;
    uint64_t dropped = 0;  // clients cut off for falling behind
  };
  Stats stats() const;
  const EventHubOptions& options() const { return options_; }

  // One client's queue of frames not yet written. The server owns one per
  // streaming connection.
  class Subscription {
   public:
    // Everything buffered so far, as wire text; empty when nothing is.
    std::string take();
    bool dropped() const;

   private:
    friend class EventHub;
    mutable std::mutex mu_;
    std::string buffer_;
    bool dropped_ = false;
    std::function<void()> wake_;
  };

  // wake is called (from the publishing thread, with the hub locked, so it
  // must only post) when the subscription has something new or was dropped.
  // After unsubscribe() returns, wake is never called again.
  std::shared_ptr<Subscription> subscribe(std::function<void()> wake);
  void unsubscribe(const std::shared_ptr<Subscription>& subscription);

 private:
  EventHubOptions options_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscribers_;
  uint64_t next_id_ = 1;
  uint64_t dropped_ = 0;
};

// One client's stream, once its request was answered with
// open_event_stream(): the server hands the socket over. Runs on the server's
// thread; close() there (the server calls it on stop) ends it.
class EventStreamConnection : public std::enable_shared_from_this<EventStreamConnection> {
 public:
  EventStreamConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<EventHub> hub);
  ~EventStreamConnection();
  EventStreamConnection(const EventStreamConnection&) = delete;
  EventStreamConnection& operator=(const EventStreamConnection&) = delete;

  // Subscribes, then sends the response head: a client that has read the
  // head is sure to receive every event published after that.
  void start();
  void close();

 private:
  void on_ready();
  void write(std::string data);
  void arm_keep_alive();
  void watch_peer();

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<EventHub> hub_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  boost::asio::steady_timer keep_alive_;
  std::string out_;
  std::array<char, 512> peer_buffer_{};
  bool writing_ = false;
  bool closed_ = false;
  uint64_t writes_started_ = 0;
  uint64_t writes_at_last_tick_ = 0;
};

// The wire text of one event: id, event and data lines, blank line.
std::string format_event(uint64_t id, std::string_view event, std::string_view data);

// For a handler the http::Server is running: answers the request with a
// long-lived text/event-stream fed by hub (the returned response only carries
// the status the server counts). Outside a Server's handler it returns a 500,
// since nothing could keep the connection open.
ServerResponse open_event_stream(std::shared_ptr<EventHub> hub);

}  // namespace baton::http
