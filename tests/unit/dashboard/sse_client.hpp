#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <string>

namespace baton::http::testing {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

// A blocking client on a raw socket that reads an event stream the way a
// browser's EventSource does. Reads give up after a generous time so a broken
// server fails the test instead of hanging it; no assertion depends on it.
class SseClient {
 public:
  explicit SseClient(uint16_t port, int receive_buffer = 0) : socket_(io_) {
    socket_.open(boost::asio::ip::tcp::v4());
    if (receive_buffer > 0) socket_.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
    timeval guard{30, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  void send_request(const std::string& path) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n";
    boost::asio::write(socket_, boost::asio::buffer(request));
  }

  // The response head (status line and headers), or nothing at EOF.
  std::optional<std::string> read_head() {
    if (!fill_until("\r\n\r\n")) return std::nullopt;
    const auto end = buffer_.find("\r\n\r\n");
    auto head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    return head;
  }

  // The next frame with data; comments and retry-only frames are collected
  // into comments() instead.
  std::optional<SseEvent> next_event() {
    while (true) {
      if (!fill_until("\n\n")) return std::nullopt;
      const auto end = buffer_.find("\n\n");
      const auto frame = buffer_.substr(0, end + 1);
      buffer_.erase(0, end + 2);
      SseEvent event;
      bool has_data = false;
      for (size_t start = 0; start < frame.size();) {
        const auto nl = frame.find('\n', start);
        const auto line = frame.substr(start, nl - start);
        start = nl + 1;
        if (line.starts_with(":"))
          comments_ += line + "\n";
        else if (line.starts_with("id: "))
          event.id = line.substr(4);
        else if (line.starts_with("event: "))
          event.event = line.substr(7);
        else if (line.starts_with("data: ")) {
          event.data += (has_data ? "\n" : "") + line.substr(6);
          has_data = true;
        } else if (line.starts_with("retry: "))
          retry_ = line.substr(7);
      }
      if (has_data) return event;
    }
  }

  // Reads until the peer closes; false when the read failed otherwise.
  bool read_until_closed() {
    boost::system::error_code ec;
    char chunk[65536];
    while (!ec) socket_.read_some(boost::asio::buffer(chunk), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  // Reads until text has arrived (in a frame or a comment).
  bool wait_for_text(const std::string& text) { return fill_until(text); }

  const std::string& comments() const { return comments_; }
  const std::string& retry() const { return retry_; }

 private:
  bool fill_until(const std::string& marker) {
    while (buffer_.find(marker) == std::string::npos) {
      char chunk[65536];
      boost::system::error_code ec;
      const auto n = socket_.read_some(boost::asio::buffer(chunk), ec);
      if (ec) return false;
      buffer_.append(chunk, n);
    }
    return true;
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffer_;
  std::string comments_;
  std::string retry_;
};

}  // namespace baton::http::testing
