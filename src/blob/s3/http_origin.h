// Where a plain http:// URL points, how to reach it, and the idle
// keep-alive connections to it: the pieces of the HTTP client's own
// connections (direct_http.h) that do not depend on an exchange.
//
// Thread-compatible (the client's worker thread), except HostResolver's
// lookup threads, which hand their answers over under a mutex.
#ifndef COHORT_SRC_BLOB_S3_HTTP_ORIGIN_H_
#define COHORT_SRC_BLOB_S3_HTTP_ORIGIN_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cohort::blob::s3 {

// Where a plain http:// URL points.
struct DirectTarget {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 80;
  std::string authority;       // "host[:port]" as the URL spells it
  std::string path_and_query;  // "/" at least
};

// Splits "http://host[:port][/path][?query]". nullopt for any other scheme,
// user information, a fragment or a malformed authority: such URLs are left
// to libcurl, which reports what is wrong with them.
std::optional<DirectTarget> ParseDirectTarget(std::string_view url);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// The address of an IPv4 or IPv6 literal, or nullopt for a host name.
std::optional<SocketAddress> NumericAddress(const std::string& host, std::uint16_t port);

// Looks host names up on threads of their own (getaddrinfo blocks, and the
// client's worker thread carries every other transfer) and hands the
// answers back to the owner's thread.
class HostResolver {
 public:
  struct Answer {
    std::uint64_t id = 0;
    int error = 0;  // a getaddrinfo code, 0 when `addresses` were found
    std::vector<SocketAddress> addresses;
  };

  // `wakeup` is called from a lookup thread when an answer is ready, until
  // the destructor returns.
  explicit HostResolver(std::function<void()> wakeup);
  // Answers still to come are dropped.
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  // Starts a lookup and returns its id; kUnavailable when no thread could
  // be started.
  absl::StatusOr<std::uint64_t> Start(const std::string& host, std::uint16_t port);
  // The answers that arrived since the last call.
  std::vector<Answer> TakeAnswers();

  // A getaddrinfo code as text.
  static std::string ErrorText(int error);

 private:
  struct Mailbox;
  std::shared_ptr<Mailbox> mailbox_;
  std::uint64_t next_id_ = 0;
};

// Idle keep-alive sockets per origin ("host:port"), at most `max_idle` in
// all (the oldest of an origin goes first). Closes them when destroyed.
class IdleConnections {
 public:
  // Idle longer than `max_age`, a connection is closed instead of reused.
  IdleConnections(std::size_t max_idle, absl::Duration max_age)
      : max_idle_(max_idle), max_age_(max_age) {}
  ~IdleConnections();
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  // A socket to `origin` to reuse, or -1. Sockets the server closed (or
  // sent something unasked on) and those idle for too long are closed on
  // the way.
  int Take(const std::string& origin, absl::Time now);
  void Put(const std::string& origin, int fd, absl::Time now);

 private:
  const std::size_t max_idle_;
  const absl::Duration max_age_;
  std::map<std::string, std::vector<std::pair<int, absl::Time>>> idle_;
  std::size_t count_ = 0;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_HTTP_ORIGIN_H_
