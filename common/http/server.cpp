#include "common/http/server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "common/http/event_stream.hpp"
#include "common/http/url.hpp"
#include "common/log/logging.hpp"
#include "common/metrics/http_labels.hpp"
#include "common/metrics/registry.hpp"

namespace baton::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// How long a connection that sent too much is drained after the error
// response, so the client reads our answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_segment(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/' || path[prefix.size()] == '?');
}

// Set while a handler runs on a server thread, so open_event_stream() can
// tell the session that this answer is a stream.
thread_local std::shared_ptr<EventHub>* t_event_stream = nullptr;

class StreamRequestScope {
 public:
  explicit StreamRequestScope(std::shared_ptr<EventHub>& slot) { t_event_stream = &slot; }
  ~StreamRequestScope() { t_event_stream = nullptr; }
  StreamRequestScope(const StreamRequestScope&) = delete;
  StreamRequestScope& operator=(const StreamRequestScope&) = delete;
};

// What every session shares; lives in Server::Impl and outlives the sessions
// that run on the server's thread.
struct ServerCore {
  Router router;
  ServerOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::array<std::atomic<std::uint64_t>, 4> counts{};
  metrics::Family<metrics::Counter>* requests_metric = nullptr;
  metrics::Family<metrics::Histogram>* duration_metric = nullptr;
  std::vector<std::weak_ptr<EventStreamConnection>> streams;  // server thread only

  void count(int status, const metrics::HttpRequestLabels& label) {
    const size_t index = status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3;
    counts[index].fetch_add(1, std::memory_order_relaxed);
    if (requests_metric) requests_metric->with({label.method, label.route, std::to_string(status)}).inc();
  }

  // Handlers are an execution boundary: whatever they throw becomes a 500.
  ServerResponse handle(ServerRequest& request, std::shared_ptr<EventHub>& stream) {
    try {
      const StreamRequestScope scope(stream);
      return router.dispatch(request);
    } catch (const std::exception& e) {
      log->error("{} {} failed: {}", request.method, request.target, e.what());
    } catch (...) {
      log->error("{} {} failed with a non-standard exception", request.method, request.target);
    }
    stream.reset();
    return json_error(500, "internal error");
  }
};

ServerRequest to_server_request(bhttp::request<bhttp::string_body>& req) {
  ServerRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  const auto question = out.target.find('?');
  out.path = out.target.substr(0, question);
  if (question != std::string::npos) out.query = parse_query(std::string_view(out.target).substr(question + 1));
  for (const auto& field : req) out.headers[lower(std::string(field.name_string()))] = std::string(field.value());
  out.body = std::move(req.body());
  return out;
}

// One connection: read a request, answer it, repeat while keep-alive. Each
// answer goes through send(), the one place that knows how a response hits
// the wire, so a streaming response (Server-Sent Events) can be added there
// as another kind of write without touching the read side.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerCore& core) : stream_(std::move(socket)), core_(core) {}

  void start() { read_request(); }

  // Called on the server thread when the server stops.
  void shutdown() {
    stopping_ = true;
    if (state_ == State::reading || state_ == State::draining) stream_.close();
  }

 private:
  enum class State { reading, writing, draining, closed };

  void read_request() {
    state_ = State::reading;
    parser_.emplace();
    parser_->body_limit(core_.options.body_limit);
    stream_.expires_after(core_.options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    label_ = {};  // a request refused before routing counts as unmatched
    if (ec == bhttp::error::body_limit) {
      target_ = std::string(parser_->get().target());
      send(json_error(413, "request body exceeds " + std::to_string(core_.options.body_limit) + " bytes"), false);
      return;
    }
    if (ec && ec.category() == beast::http::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      target_.clear();
      send(json_error(400, "malformed request: " + ec.message()), false);
      return;
    }
    if (ec) {
      close();
      return;
    }

    auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    version_ = req.version();
    auto request = to_server_request(req);
    target_ = request.target;
    const auto started = std::chrono::steady_clock::now();
    std::shared_ptr<EventHub> stream;
    auto response = core_.handle(request, stream);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    label_ = metrics::http_request_labels(request.method, request.path, request.params, response.status);
    core_.log->debug("{} {} {} {}us", request.method, request.target, response.status,
                     std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    if (stream && response.status == 200 && !stopping_) {
      start_stream(std::move(stream));
      return;
    }
    if (core_.duration_metric) core_.duration_metric->with({label_.method, label_.route}).observe(elapsed);
    send(std::move(response), keep_alive && !stopping_);
  }

  // The connection stops being a request/response session: the stream takes
  // the socket and this session ends.
  void start_stream(std::shared_ptr<EventHub> hub) {
    core_.count(200, label_);
    state_ = State::closed;
    auto connection = std::make_shared<EventStreamConnection>(stream_.release_socket(), std::move(hub));
    std::erase_if(core_.streams, [](const auto& weak) { return weak.expired(); });
    core_.streams.push_back(connection);
    connection->start();
  }

  void send(ServerResponse response, bool keep_alive) {
    core_.count(response.status, label_);
    if (starts_with_segment(target_, "/api") || starts_with_segment(target_, "/health")) {
      response.headers.try_emplace("Cache-Control", "no-store");
    }
    response_.emplace();
    response_->version(version_);
    response_->result(static_cast<unsigned>(response.status));
    response_->set(bhttp::field::server, "baton");
    if (!response.content_type.empty()) response_->set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) response_->set(name, value);
    response_->body() = std::move(response.body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();

    state_ = State::writing;
    stream_.expires_after(core_.options.read_timeout);
    bhttp::async_write(stream_, *response_,
                       [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         self->on_write(ec, keep_alive);
                       });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    response_.reset();
    if (ec) {
      close();
    } else if (keep_alive && !stopping_) {
      read_request();
    } else {
      linger();
    }
  }

  // Half-close and discard what the client still sends: closing with unread
  // input makes the kernel send a reset, which can destroy the response
  // before the client has read it (the 413 case).
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    state_ = State::draining;
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    if (stopping_) {
      close();
      return;
    }
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->close();
      } else {
        self->drain();
      }
    });
  }

  void close() {
    state_ = State::closed;
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerCore& core_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::array<char, 16 * 1024> drain_buffer_{};
  std::string target_;
  metrics::HttpRequestLabels label_;
  unsigned version_ = 11;
  State state_ = State::reading;
  bool stopping_ = false;
};

}  // namespace

struct Server::Impl {
  std::string address;
  uint16_t requested_port;
  ServerCore core;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::promise<void> finished;
  std::atomic<uint16_t> bound_port{0};
  std::vector<std::weak_ptr<Session>> sessions;  // server thread only
  bool started = false;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        core.log->warn("accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto session = std::make_shared<Session>(std::move(socket), core);
        std::erase_if(sessions, [](const auto& weak) { return weak.expired(); });
        sessions.push_back(session);
        session->start();
      }
      accept();
    });
  }

  void shutdown_on_server_thread() {
    beast::error_code ignored;
    acceptor.close(ignored);
    for (auto& weak : sessions) {
      if (auto session = weak.lock()) session->shutdown();
    }
    for (auto& weak : core.streams) {
      if (auto stream = weak.lock()) stream->close();
    }
  }
};

Server::Server(std::string address, uint16_t port, Router router, ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->address = std::move(address);
  impl_->requested_port = port;
  impl_->core.router = std::move(router);
  impl_->core.options = options;
  impl_->core.log = log::logger("http");
  if (options.metrics) {
    impl_->core.requests_metric = &options.metrics->counter(
        "baton_http_requests_total", "HTTP requests answered, by method, route pattern and status code.",
        {"method", "route", "code"});
    impl_->core.duration_metric =
        &options.metrics->histogram("baton_http_request_duration_seconds",
                                    "Time to produce an HTTP response (handler time, event streams excluded).",
                                    {"method", "route"}, metrics::latency_seconds_buckets());
  }
}

Server::~Server() { stop(); }

Status Server::start() {
  auto& impl = *impl_;
  if (impl.started) return make_error(Errc::conflict, "the HTTP server was already started");
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl.address, ec);
  if (ec) return make_error(Errc::invalid_argument, "bad listen address '" + impl.address + "': " + ec.message());
  const tcp::endpoint endpoint(address, impl.requested_port);
  const std::string where = impl.address + ":" + std::to_string(impl.requested_port);

  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    return make_error(Errc::unavailable, "cannot listen on " + where + ": " + ec.message());
  }
  impl.bound_port = impl.acceptor.local_endpoint().port();
  impl.started = true;
  impl.accept();
  impl.thread = std::thread([&impl] {
    try {
      impl.io.run();
    } catch (const std::exception& e) {
      impl.core.log->critical("HTTP server thread stopped: {}", e.what());
    }
    impl.finished.set_value();
  });
  impl.core.log->info("listening on http://{}:{}", impl.address, impl.bound_port.load());
  return {};
}

uint16_t Server::port() const { return impl_->bound_port; }

void Server::stop() {
  auto& impl = *impl_;
  if (!impl.thread.joinable()) return;
  asio::post(impl.io, [&impl] { impl.shutdown_on_server_thread(); });
  if (impl.finished.get_future().wait_for(impl.core.options.stop_grace) == std::future_status::timeout) {
    impl.core.log->warn("responses still in flight after {} ms; closing them",
                        impl.core.options.stop_grace.count());
    impl.io.stop();
  }
  impl.thread.join();
}

RequestCounts Server::request_counts() const {
  const auto& counts = impl_->core.counts;
  return RequestCounts{counts[0].load(), counts[1].load(), counts[2].load(), counts[3].load()};
}

ServerResponse open_event_stream(std::shared_ptr<EventHub> hub) {
  if (!t_event_stream || !hub) return json_error(500, "an event stream can only be served by the HTTP server");
  *t_event_stream = std::move(hub);
  ServerResponse response;
  response.content_type = "text/event-stream";
  return response;
}

}  // namespace baton::http
