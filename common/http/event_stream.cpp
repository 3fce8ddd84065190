#include "common/http/event_stream.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "common/log/logging.hpp"

namespace baton::http {

EventHub::EventHub(EventHubOptions options) : options_(options) {}

std::string format_event(uint64_t id, std::string_view event, std::string_view data) {
  std::string out = "id: " + std::to_string(id) + "\n";
  std::string name(event);
  std::erase_if(name, [](char c) { return c == '\n' || c == '\r'; });
  if (!name.empty()) out += "event: " + name + "\n";
  // Every line of data gets its own data: field; the client joins them with
  // newlines again. A lone \r would also end a line, so it is dropped.
  size_t start = 0;
  while (true) {
    const auto end = data.find('\n', start);
    auto line = data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += "data: ";
    for (const char c : line)
      if (c != '\r') out += c;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += '\n';
  return out;
}

void EventHub::publish(std::string_view event, std::string_view data) {
  std::lock_guard lock(mu_);
  const auto frame = format_event(next_id_++, event, data);
  std::erase_if(subscribers_, [&](const std::shared_ptr<Subscription>& sub) {
    std::lock_guard sub_lock(sub->mu_);
    if (sub->buffer_.size() + frame.size() > options_.max_buffered_bytes) {
      sub->dropped_ = true;
      sub->buffer_.clear();
      ++dropped_;
      sub->wake_();
      return true;
    }
    const bool was_empty = sub->buffer_.empty();
    sub->buffer_ += frame;
    // A non-empty buffer means the connection already has a wake-up pending
    // or a write in flight that will pick this frame up when it completes.
    if (was_empty) sub->wake_();
    return false;
  });
}

EventHub::Stats EventHub::stats() const {
  std::lock_guard lock(mu_);
  return Stats{subscribers_.size(), next_id_ - 1, dropped_};
}

std::shared_ptr<EventHub::Subscription> EventHub::subscribe(std::function<void()> wake) {
  auto subscription = std::make_shared<Subscription>();
  subscription->wake_ = std::move(wake);
  std::lock_guard lock(mu_);
  subscribers_.push_back(subscription);
  return subscription;
}

void EventHub::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard lock(mu_);
  std::erase(subscribers_, subscription);
}

std::string EventHub::Subscription::take() {
  std::lock_guard lock(mu_);
  return std::exchange(buffer_, {});
}

bool EventHub::Subscription::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace baton::http

namespace baton::http {

namespace asio = boost::asio;

namespace {

std::string response_head(std::chrono::milliseconds retry) {
  // Close-delimited (no Content-Length, no chunking): the stream ends when
  // the connection does, which is what EventSource expects.
  return "HTTP/1.1 200 OK\r\n"
         "Server: baton\r\n"
         "Content-Type: text/event-stream; charset=utf-8\r\n"
         "Cache-Control: no-store\r\n"
         "Connection: close\r\n"
         "X-Accel-Buffering: no\r\n"
         "\r\n"
         "retry: " +
         std::to_string(retry.count()) + "\n\n";
}

}  // namespace

EventStreamConnection::EventStreamConnection(asio::ip::tcp::socket socket, std::shared_ptr<EventHub> hub)
    : socket_(std::move(socket)), hub_(std::move(hub)), keep_alive_(socket_.get_executor()) {}

EventStreamConnection::~EventStreamConnection() {
  if (subscription_) hub_->unsubscribe(subscription_);
}

void EventStreamConnection::start() {
  std::weak_ptr<EventStreamConnection> weak = shared_from_this();
  subscription_ = hub_->subscribe([weak, executor = socket_.get_executor()] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock()) self->on_ready();
    });
  });
  write(response_head(hub_->options().client_retry));
  arm_keep_alive();
  watch_peer();
}

void EventStreamConnection::close() {
  if (closed_) return;
  closed_ = true;
  hub_->unsubscribe(subscription_);
  keep_alive_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void EventStreamConnection::on_ready() {
  if (closed_) return;
  if (subscription_->dropped()) {
    log::logger("http")->warn("event stream client fell {} bytes behind; dropping it",
                              hub_->options().max_buffered_bytes);
    close();
    return;
  }
  if (writing_) return;
  auto data = subscription_->take();
  if (!data.empty()) write(std::move(data));
}

void EventStreamConnection::write(std::string data) {
  writing_ = true;
  ++writes_started_;
  out_ = std::move(data);
  asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
    self->writing_ = false;
    if (ec) {
      self->close();
    } else {
      self->on_ready();
    }
  });
}

void EventStreamConnection::arm_keep_alive() {
  keep_alive_.expires_after(hub_->options().keep_alive);
  keep_alive_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed_) return;
    if (self->writing_) {
      // The same write has been pending for a whole interval: the client
      // reads nothing, and would hold its socket forever without this.
      if (self->writes_started_ == self->writes_at_last_tick_) {
        log::logger("http")->warn("event stream client stopped reading; closing it");
        self->close();
        return;
      }
    } else {
      self->write(": keep-alive\n\n");
    }
    self->writes_at_last_tick_ = self->writes_started_;
    self->arm_keep_alive();
  });
}

// A client sends nothing after its request; a read completing with an error
// is how a hang-up is noticed between events.
void EventStreamConnection::watch_peer() {
  socket_.async_read_some(asio::buffer(peer_buffer_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t) {
                            if (ec) {
                              self->close();
                            } else {
                              self->watch_peer();
                            }
                          });
}

}  // namespace baton::http
