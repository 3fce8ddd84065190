#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <cstring>

#include "common/http/client.hpp"
#include "worker/checks/builtin_checks.hpp"

namespace baton::worker::checks {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

double elapsed_ms(steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - since).count();
}

Result<std::vector<int>> parse_status_list(const std::string& text) {
  std::vector<int> codes;
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (item.size() != 3 || !std::all_of(item.begin(), item.end(), ::isdigit))
      return make_error(Errc::invalid_argument,
                        "param 'expect_status': expected HTTP status codes such as 200 or 200,204, got \"" + text +
                            "\"");
    codes.push_back(std::stoi(item));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return codes;
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

enum class ConnectOutcome { connected, refused, timed_out, failed };

// One address, non-blocking, so the wait obeys the check's deadline.
ConnectOutcome connect_one(const addrinfo& address, milliseconds budget, std::string& why) {
  int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return ConnectOutcome::failed;
  }
  FdCloser closer{fd};
  if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) return ConnectOutcome::connected;
  if (errno != EINPROGRESS) {
    why = std::strerror(errno);
    return errno == ECONNREFUSED ? ConnectOutcome::refused : ConnectOutcome::failed;
  }
  pollfd waiting{fd, POLLOUT, 0};
  int ready = ::poll(&waiting, 1, static_cast<int>(budget.count()));
  if (ready == 0) return ConnectOutcome::timed_out;
  if (ready < 0) {
    why = std::strerror(errno);
    return ConnectOutcome::failed;
  }
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error == 0) return ConnectOutcome::connected;
  why = std::strerror(error);
  return error == ECONNREFUSED ? ConnectOutcome::refused : ConnectOutcome::failed;
}

}  // namespace

Result<CheckReport> check_http(const CheckContext& context, CheckParams& params) {
  std::string url = params.required("url");
  std::string expect = params.text("expect_status", "200");
  std::string body_contains = params.text("body_contains");
  Thresholds latency = params.thresholds("latency_warning", "latency_critical");
  if (auto s = params.status(); !s) return s.error();
  auto expected = parse_status_list(expect);
  if (!expected) return expected.error();

  http::Request request;
  request.url = url;
  request.timeout = context.budget();
  const auto started = steady_clock::now();
  auto response = http::fetch(request);
  const double took = elapsed_ms(started);

  Verdict verdict;
  if (!response) {
    const Error& error = response.error();
    if (error.code == Errc::timeout) return context.timed_out("waiting for " + url);
    if (error.code == Errc::invalid_argument) return make_error(Errc::invalid_argument, "param 'url': " + error.message);
    verdict.raise(CheckState::critical, url + ": " + error.message);
    return verdict.report("");
  }
  verdict.measure("time", took, "ms", latency, 0.0);
  verdict.measure("size", static_cast<double>(response->body.size()), "B", {}, 0.0);
  if (std::find(expected->begin(), expected->end(), response->status) == expected->end())
    verdict.raise(CheckState::critical, "status " + std::to_string(response->status) + " (expected " + expect + ")");
  if (!body_contains.empty() && response->body.find(body_contains) == std::string::npos)
    verdict.raise(CheckState::critical, "body does not contain '" + body_contains + "'");
  return verdict.report(url + ": HTTP " + std::to_string(response->status) + ", " +
                        std::to_string(response->body.size()) + " bytes in " + short_number(took) + " ms");
}

Result<CheckReport> check_tcp(const CheckContext& context, CheckParams& params) {
  std::string host = params.required("host");
  int64_t port = params.integer("port", 0, 1, 65535);
  Thresholds time = params.thresholds("warning", "critical");
  if (auto s = params.status(); !s) return s.error();
  if (port == 0) return make_error(Errc::invalid_argument, "param 'port': is required");

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  // getaddrinfo has no deadline of its own; a numeric host never blocks.
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses); rc != 0)
    return make_error(Errc::unavailable, "cannot resolve " + host + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(addresses, ::freeaddrinfo);

  const auto started = steady_clock::now();
  ConnectOutcome outcome = ConnectOutcome::failed;
  std::string why;
  for (const addrinfo* address = addresses; address; address = address->ai_next) {
    outcome = connect_one(*address, context.remaining(), why);
    if (outcome == ConnectOutcome::connected || outcome == ConnectOutcome::timed_out) break;
  }
  const double took = elapsed_ms(started);

  Verdict verdict;
  switch (outcome) {
    case ConnectOutcome::timed_out: return context.timed_out("connecting to " + where);
    case ConnectOutcome::refused: verdict.raise(CheckState::critical, "connection to " + where + " refused"); break;
    case ConnectOutcome::failed: verdict.raise(CheckState::critical, "cannot connect to " + where + ": " + why); break;
    case ConnectOutcome::connected:
      verdict.measure("time", took, "ms", time, 0.0);
      return verdict.report("connected to " + where + " in " + short_number(took) + " ms");
  }
  return verdict.report("");
}

}  // namespace baton::worker::checks
