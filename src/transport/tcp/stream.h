// A connected byte stream: plain TCP or TLS over TCP, behind one type so the
// connection code is written once.
#ifndef COHORT_SRC_TRANSPORT_TCP_STREAM_H_
#define COHORT_SRC_TRANSPORT_TCP_STREAM_H_

#include <utility>
#include <variant>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

namespace cohort::transport {

class Stream {
 public:
  using Tcp = asio::ip::tcp::socket;
  using Tls = asio::ssl::stream<asio::ip::tcp::socket>;

  explicit Stream(Tcp socket) : stream_(std::move(socket)) {}
  explicit Stream(Tls stream) : stream_(std::move(stream)) {}

  template <typename Buffers, typename Token>
  auto AsyncReadSome(const Buffers& buffers, Token&& token) {
    return std::visit(
        [&](auto& s) { return s.async_read_some(buffers, std::forward<Token>(token)); },
        stream_);
  }

  template <typename Buffers, typename Token>
  auto AsyncWrite(const Buffers& buffers, Token&& token) {
    return std::visit(
        [&](auto& s) { return asio::async_write(s, buffers, std::forward<Token>(token)); },
        stream_);
  }

  Tcp& socket() {
    if (auto* tls = std::get_if<Tls>(&stream_)) return tls->next_layer();
    return std::get<Tcp>(stream_);
  }
  Tls* tls() { return std::get_if<Tls>(&stream_); }

  // Closes the socket, which aborts pending reads and writes. No TLS
  // close_notify: a peer that cares about truncation learns of it from the
  // frame layer, which never stops mid-frame on a clean close.
  void Close() {
    asio::error_code ignored;
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::variant<Tcp, Tls> stream_;
};

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_STREAM_H_
