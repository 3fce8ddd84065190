#include "common/http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

#include "common/http/url.hpp"

namespace baton::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::uint64_t kResponseBodyLimit = 64ull * 1024 * 1024;

std::string base64(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {table[(n >> 18) & 63], table[(n >> 12) & 63], table[(n >> 6) & 63], table[n & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += {table[(n >> 18) & 63], table[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {table[(n >> 18) & 63], table[(n >> 12) & 63], table[(n >> 6) & 63], '='};
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error transfer_error(const char* what, const beast::error_code& ec, const std::string& url) {
  if (ec == beast::error::timeout) return make_error(Errc::timeout, std::string(what) + " " + url + ": timed out");
  return make_error(Errc::io_error, std::string(what) + " " + url + ": " + ec.message());
}

// Beast applies tcp_stream deadlines to asynchronous operations only, so each
// step is started asynchronously and the private io_context is run until it
// completes; the deadline covers the whole exchange.
template <class Start>
beast::error_code run_step(asio::io_context& io, Start start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

}  // namespace

Result<Response> fetch(const Request& request) {
  auto url = parse_url(request.url);
  if (!url) return url.error();

  asio::io_context io;
  beast::tcp_stream stream(io);
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;

  // Name resolution is synchronous: getaddrinfo cannot be cancelled anyway,
  // and the hosts we talk to are IP literals or local names.
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url->host, std::to_string(url->port), ec);
  if (ec) return make_error(Errc::unavailable, "cannot resolve " + url->host + ": " + ec.message());

  stream.expires_at(deadline);
  ec = run_step(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec == beast::error::timeout) return make_error(Errc::timeout, "connecting to " + request.url + ": timed out");
  if (ec) return make_error(Errc::unavailable, "cannot connect to " + request.url + ": " + ec.message());

  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(request.method);
  req.target(url->target);
  req.set(bhttp::field::host, url->port == 80 ? url->host : url->host + ":" + std::to_string(url->port));
  req.set(bhttp::field::user_agent, "baton/" BATON_VERSION);
  req.set(bhttp::field::accept, "application/json, */*");
  if (!request.bearer_token.empty()) {
    req.set(bhttp::field::authorization, "Bearer " + request.bearer_token);
  } else if (!request.basic_user.empty()) {
    req.set(bhttp::field::authorization, "Basic " + base64(request.basic_user + ":" + request.basic_password));
  }
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.body.empty()) req.set(bhttp::field::content_type, request.content_type);
  req.body() = request.body;
  req.keep_alive(false);
  req.prepare_payload();

  stream.expires_at(deadline);
  ec = run_step(io, [&](auto handler) { bhttp::async_write(stream, req, handler); });
  if (ec) return transfer_error("sending to", ec, request.url);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  stream.expires_at(deadline);
  ec = run_step(io, [&](auto handler) { bhttp::async_read(stream, buffer, parser, handler); });
  if (ec) return transfer_error("reading from", ec, request.url);

  auto res = parser.release();
  Response out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  for (const auto& field : res) out.headers[lower(std::string(field.name_string()))] = std::string(field.value());

  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace baton::http
