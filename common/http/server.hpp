#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/core/result.hpp"
#include "common/http/router.hpp"

namespace baton::metrics {
class Registry;
}

namespace baton::http {

struct ServerOptions {
  std::uint64_t body_limit = 1024 * 1024;        // larger request bodies get 413
  std::chrono::milliseconds read_timeout{30000};  // an idle keep-alive connection is closed after this
  std::chrono::milliseconds stop_grace{5000};     // stop() waits this long for responses in flight
  // When set, the server counts baton_http_requests_total{method,route,code}
  // and times baton_http_request_duration_seconds{method,route} in it. The
  // registry must outlive the server.
  metrics::Registry* metrics = nullptr;
};

// Responses sent, by status class; 1xx is counted with the 2xx.
struct RequestCounts {
  std::uint64_t success = 0;       // 1xx, 2xx
  std::uint64_t redirect = 0;      // 3xx
  std::uint64_t client_error = 0;  // 4xx
  std::uint64_t server_error = 0;  // 5xx
  std::uint64_t total() const { return success + redirect + client_error + server_error; }
};

// An HTTP/1.1 server with its own io_context on its own thread. Handlers run
// on that one thread, one at a time, so they may keep unsynchronised state
// (a database connection, say) that only they touch. A handler may answer
// with a Server-Sent Events stream (open_event_stream in event_stream.hpp);
// stop() closes those streams too.
class Server {
 public:
  Server(std::string address, uint16_t port, Router router, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (port 0 picks a free one) and starts serving. Errc::invalid_argument
  // for a bad address, Errc::unavailable when the address cannot be bound.
  Status start();
  // The bound port once start() succeeded.
  uint16_t port() const;
  // Stops accepting, closes idle connections, lets responses in flight finish
  // (up to stop_grace) and joins the thread. Idempotent.
  void stop();

  RequestCounts request_counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton::http
