#include "blob/s3/direct_http.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/http_response_parser.h"
#include "blob/s3/http_transfer.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::blob::s3 {
namespace {

// Idle connections older than this are closed instead of reused: servers
// drop idle keep-alive connections after a while (S3 after about 20 s of
// silence is common), and a stale one costs a failed attempt.
constexpr absl::Duration kMaxIdle = absl::Seconds(15);
constexpr std::size_t kReadChunk = 64u << 10;
constexpr int kPipeBytes = 1 << 20;

std::string ErrnoText(int error) { return std::strerror(error); }

bool ProxyConfigured() {
  for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

}  // namespace

struct DirectExchanges::Exchange {
  enum class Phase { kQueued, kResolving, kConnecting, kExchanging, kEnded };

  std::shared_ptr<Transfer> transfer;
  DirectTarget target;
  std::string origin;  // "host:port", the key of the idle pool
  std::string what;    // "PUT http://...", the prefix of every message
  std::string head;    // the request line and headers
  std::string_view body;
  Phase phase = Phase::kQueued;
  std::uint64_t resolve_id = 0;
  std::vector<SocketAddress> addresses;
  std::size_t next_address = 0;
  int connect_error = 0;
  int fd = -1;
  bool reused = false;
  bool retried = false;
  bool send_failed = false;
  // The body goes through this pipe (Send), `piped` bytes of it so far.
  int pipe_read = -1;
  int pipe_write = -1;
  bool copy_body = false;
  std::size_t piped = 0;
  std::size_t sent = 0;  // of head and body together
  std::optional<HttpResponseParser> parser;
  absl::Time deadline;  // of the connect or of the next sign of progress

  std::size_t total() const { return head.size() + body.size(); }
};

DirectExchanges::DirectExchanges(const HttpClientOptions& options, Clock* clock,
                                 FinishFn finish, std::function<void()> wakeup)
    : options_(options),
      clock_(clock),
      finish_(std::move(finish)),
      proxied_(ProxyConfigured()),
      resolver_(std::move(wakeup)),
      idle_(static_cast<std::size_t>(options.max_connections), kMaxIdle),
      read_buffer_(kReadChunk, '\0') {}

DirectExchanges::~DirectExchanges() {
  for (auto& [t, x] : active_) CloseConnection(*x);
}

std::optional<DirectTarget> DirectExchanges::Route(const HttpRequest& request) const {
  if (proxied_ || request.method != "PUT" || request.body_source) return std::nullopt;
  const std::size_t size = request.InMemoryBody().size();
  if (size == 0 || size < options_.direct_write_min_bytes) return std::nullopt;
  for (const HttpHeader& h : request.headers) {
    const absl::string_view name(h.name.data(), h.name.size());
    if (absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding") ||
        absl::EqualsIgnoreCase(name, "Expect")) {
      return std::nullopt;
    }
  }
  return ParseDirectTarget(request.url);
}

void DirectExchanges::Start(std::shared_ptr<Transfer> transfer, DirectTarget target) {
  auto x = std::make_unique<Exchange>();
  const HttpRequest& r = *transfer->request;
  x->what = absl::StrCat(r.method, " ", r.url);
  x->transfer = std::move(transfer);
  x->target = std::move(target);
  x->origin = absl::StrCat(x->target.host, ":", x->target.port);
  x->body = r.InMemoryBody();
  Ended ended;
  // The request line and headers, in the order given; Host first unless the
  // request names its own (the signed one).
  bool has_host = false;
  for (const HttpHeader& h : r.headers) {
    if (absl::EqualsIgnoreCase(absl::string_view(h.name.data(), h.name.size()), "Host")) {
      has_host = true;
    }
  }
  x->head = absl::StrCat(r.method, " ", x->target.path_and_query, " HTTP/1.1\r\n");
  if (!has_host) absl::StrAppend(&x->head, "Host: ", x->target.authority, "\r\n");
  for (const HttpHeader& h : r.headers) {
    if (absl::Status s = CheckHeader(h); !s.ok()) {
      ended.emplace_back(x->transfer, std::move(s));
      Deliver(ended);
      return;
    }
    absl::StrAppend(&x->head, h.name, ": ", h.value, "\r\n");
  }
  absl::StrAppend(&x->head, "Content-Length: ", x->body.size(), "\r\n\r\n");
  Exchange& ref = *x;
  if (active_.size() >= static_cast<std::size_t>(options_.max_connections)) {
    queued_.push_back(std::move(x));
    return;
  }
  active_[ref.transfer.get()] = std::move(x);
  Begin(ref, ended);
  Deliver(ended);
}

void DirectExchanges::Begin(Exchange& x, Ended& ended) {
  x.sent = 0;
  x.piped = 0;
  x.send_failed = false;
  x.transfer->response = HttpResponse{};
  HttpResponseParserOptions parser_options;
  Transfer* t = x.transfer.get();
  x.parser.emplace(parser_options,
                   [t](std::string_view piece) { return AcceptResponseBody(*t, piece); });
  if (!x.retried) {
    const int fd = idle_.Take(x.origin, clock_->Now());
    if (fd >= 0) {
      x.fd = fd;
      x.reused = true;
      x.phase = Exchange::Phase::kExchanging;
      x.deadline = clock_->Now() + options_.stall_timeout;
      Advance(x, ended);
      return;
    }
  }
  x.reused = false;
  x.deadline = clock_->Now() + options_.connect_timeout;
  if (std::optional<SocketAddress> numeric = NumericAddress(x.target.host, x.target.port)) {
    x.addresses = {*numeric};
    x.next_address = 0;
    Connect(x, ended);
    return;
  }
  absl::StatusOr<std::uint64_t> id = resolver_.Start(x.target.host, x.target.port);
  if (!id.ok()) {
    End(x, MarkNotSent(absl::UnavailableError(absl::StrCat(x.what, ": ", id.status().message()))),
        ended);
    return;
  }
  x.resolve_id = *id;
  x.phase = Exchange::Phase::kResolving;
}

void DirectExchanges::Connect(Exchange& x, Ended& ended) {
  while (x.next_address < x.addresses.size()) {
    const SocketAddress& a = x.addresses[x.next_address++];
    const int fd =
        ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
      x.connect_error = errno;
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0 ||
        errno == EINPROGRESS) {
      x.fd = fd;
      x.phase = Exchange::Phase::kConnecting;
      Advance(x, ended);
      return;
    }
    x.connect_error = errno;
    ::close(fd);
  }
  End(x,
      MarkNotSent(absl::UnavailableError(absl::StrCat(
          x.what, ": could not connect to ", x.origin, ": ", ErrnoText(x.connect_error)))),
      ended);
}

void DirectExchanges::Advance(Exchange& x, Ended& ended) {
  if (x.phase == Exchange::Phase::kConnecting) {
    pollfd p{x.fd, POLLOUT, 0};
    if (::poll(&p, 1, 0) == 0) return;
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(x.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      x.connect_error = error;
      ::close(x.fd);
      x.fd = -1;
      Connect(x, ended);
      return;
    }
    x.phase = Exchange::Phase::kExchanging;
    x.deadline = clock_->Now() + options_.stall_timeout;
  }
  if (x.phase != Exchange::Phase::kExchanging) return;
  while (true) {
    const bool sent_more = !x.send_failed && x.sent < x.total() && Send(x);
    bool received_more = false;
    absl::Status received = Receive(x, received_more);
    if (!received.ok()) {
      if (!RetryOnNewConnection(x, ended)) End(x, std::move(received), ended);
      return;
    }
    if (x.parser->done()) {
      End(x, absl::OkStatus(), ended);
      return;
    }
    if (sent_more || received_more) x.deadline = clock_->Now() + options_.stall_timeout;
    if (!sent_more && !received_more) return;
  }
}

// The request line and headers are copied into the socket (sendmsg); the
// body is handed over by reference: vmsplice maps its pages into a pipe and
// splice moves them into the socket, so the kernel sends them without
// copying. The body stays unchanged until the exchange ends (the transfer
// holds it), and a connection that ends any other way than with a complete
// exchange is closed with a reset (CloseConnection), which drops whatever
// was still queued. Where vmsplice is refused, the body is copied like the
// head. Returns whether anything changed (bytes went out, sending failed or
// switched to copying), so that the caller goes on at once.
bool DirectExchanges::Send(Exchange& x) {
  if (x.sent < x.head.size() || x.copy_body) {
    iovec iov[2];
    int count = 0;
    int flags = MSG_NOSIGNAL | MSG_DONTWAIT;
    if (x.sent < x.head.size()) {
      iov[count++] = {const_cast<char*>(x.head.data()) + x.sent, x.head.size() - x.sent};
      if (x.copy_body) {
        iov[count++] = {const_cast<char*>(x.body.data()), x.body.size()};
      } else {
        flags |= MSG_MORE;  // the body follows at once
      }
    } else {
      const std::size_t offset = x.sent - x.head.size();
      iov[count++] = {const_cast<char*>(x.body.data()) + offset, x.body.size() - offset};
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<std::size_t>(count);
    return Sent(x, ::sendmsg(x.fd, &message, flags));
  }
  if (x.pipe_write < 0) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      x.copy_body = true;
      return true;
    }
    x.pipe_read = fds[0];
    x.pipe_write = fds[1];
    x.piped = x.sent - x.head.size();
    // Fewer round trips through the pipe; the default (64 KiB) if refused.
    ::fcntl(x.pipe_write, F_SETPIPE_SZ, kPipeBytes);
  }
  const std::size_t body_sent = x.sent - x.head.size();
  if (x.piped == body_sent && x.piped < x.body.size()) {
    iovec v{const_cast<char*>(x.body.data()) + x.piped, x.body.size() - x.piped};
    const ssize_t n = ::vmsplice(x.pipe_write, &v, 1, SPLICE_F_NONBLOCK);
    if (n > 0) {
      x.piped += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      x.copy_body = true;  // the pipe is empty: copying takes over cleanly
      return true;
    }
  }
  if (x.piped == body_sent) return false;
  return Sent(x, ::splice(x.pipe_read, nullptr, x.fd, nullptr, x.piped - body_sent,
                          SPLICE_F_NONBLOCK | SPLICE_F_MOVE));
}

bool DirectExchanges::Sent(Exchange& x, ssize_t n) {
  if (n > 0) {
    x.sent += static_cast<std::size_t>(n);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  if (n < 0 && errno == EINTR) return true;
  // The server stopped reading (it may have answered early, say with an
  // error): stop sending and read what it said.
  x.send_failed = true;
  return true;
}

void DirectExchanges::CloseConnection(Exchange& x) {
  // Pages of the body may still be queued by reference when the pipe was
  // used on this connection.
  const bool by_reference = x.pipe_read >= 0;
  if (by_reference) {
    ::close(x.pipe_read);
    ::close(x.pipe_write);
    x.pipe_read = x.pipe_write = -1;
  }
  if (x.fd < 0) return;
  if (by_reference) {
    // A reset drops the queued pages, where a plain close would go on
    // sending memory the caller is about to reuse.
    linger abortive{1, 0};
    ::setsockopt(x.fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  }
  ::close(x.fd);
  x.fd = -1;
}

absl::Status DirectExchanges::Receive(Exchange& x, bool& received_more) {
  while (!x.parser->done()) {
    const ssize_t n = ::recv(x.fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!x.send_failed) return absl::OkStatus();
      // Sending failed and nothing more is coming: the connection is gone.
      pollfd p{x.fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) continue;
      return absl::UnavailableError(
          absl::StrCat(x.what, ": the connection failed after ", x.sent, " of ", x.total(),
                       " request bytes were sent"));
    }
    if (n < 0) {
      const int error = errno;
      return absl::UnavailableError(
          absl::StrCat(x.what, ": ", ErrnoText(error), " (", x.sent, " of ", x.total(),
                       " request bytes sent, ", x.parser->bytes_consumed(),
                       " response bytes received)"));
    }
    received_more = true;
    if (n == 0) {
      if (absl::Status s = x.parser->FeedEof(); !s.ok()) {
        return absl::UnavailableError(absl::StrCat(x.what, ": ", s.message(), " (", x.sent,
                                                   " of ", x.total(), " request bytes sent)"));
      }
      return absl::OkStatus();
    }
    absl::StatusOr<std::size_t> used =
        x.parser->Feed(std::string_view(read_buffer_.data(), static_cast<std::size_t>(n)));
    if (!used.ok()) {
      if (!x.transfer->callback_status.ok()) return x.transfer->callback_status;
      return absl::UnavailableError(absl::StrCat(x.what, ": ", used.status().message()));
    }
    if (*used < static_cast<std::size_t>(n)) x.send_failed = true;  // never reuse it
    if (static_cast<std::size_t>(n) < read_buffer_.size()) return absl::OkStatus();
  }
  return absl::OkStatus();
}

// A server may close a keep-alive connection just as a request is written
// on it; libcurl sends such a request again on a new connection, once, and
// so does this path, when nothing of an answer arrived.
bool DirectExchanges::RetryOnNewConnection(Exchange& x, Ended& ended) {
  if (!x.reused || x.retried || x.parser->bytes_consumed() != 0 ||
      !x.transfer->callback_status.ok()) {
    return false;
  }
  CloseConnection(x);
  x.retried = true;
  Begin(x, ended);
  return true;
}

void DirectExchanges::End(Exchange& x, absl::Status status, Ended& ended) {
  const bool reusable = x.fd >= 0 && status.ok() && x.parser->keep_alive() &&
                        !x.send_failed && x.sent == x.total();
  if (reusable) {
    idle_.Put(x.origin, x.fd, clock_->Now());
    x.fd = -1;
  }
  CloseConnection(x);
  if (status.ok()) {
    x.transfer->response.status = x.parser->status();
    x.transfer->response.headers = x.parser->headers();
  }
  x.phase = Exchange::Phase::kEnded;
  ended.emplace_back(x.transfer, std::move(status));
}

void DirectExchanges::Abort(const Transfer* transfer) {
  auto it = active_.find(transfer);
  if (it != active_.end()) {
    // Queued exchanges start in the next Progress (AddWaits asks for one
    // without waiting).
    CloseConnection(*it->second);
    active_.erase(it);
    return;
  }
  for (auto q = queued_.begin(); q != queued_.end(); ++q) {
    if ((*q)->transfer.get() == transfer) {
      queued_.erase(q);
      return;
    }
  }
}

std::vector<std::shared_ptr<Transfer>> DirectExchanges::AbortAll() {
  std::vector<std::shared_ptr<Transfer>> transfers;
  for (auto& [t, x] : active_) {
    CloseConnection(*x);
    transfers.push_back(x->transfer);
  }
  for (auto& x : queued_) transfers.push_back(x->transfer);
  active_.clear();
  queued_.clear();
  return transfers;
}

void DirectExchanges::AddWaits(std::vector<curl_waitfd>& waits, int& timeout_ms) {
  const absl::Time now = clock_->Now();
  if (!queued_.empty() && active_.size() < static_cast<std::size_t>(options_.max_connections)) {
    timeout_ms = 0;
  }
  for (auto& [t, x] : active_) {
    if (x->phase == Exchange::Phase::kConnecting || x->phase == Exchange::Phase::kExchanging) {
      curl_waitfd w{};
      w.fd = x->fd;
      w.events = CURL_WAIT_POLLIN;
      if (x->phase == Exchange::Phase::kConnecting ||
          (!x->send_failed && x->sent < x->total())) {
        w.events |= CURL_WAIT_POLLOUT;
      }
      waits.push_back(w);
    }
    const std::int64_t until =
        std::max<std::int64_t>(0, absl::ToInt64Milliseconds(x->deadline - now) + 1);
    timeout_ms = static_cast<int>(std::min<std::int64_t>(timeout_ms, until));
  }
}

void DirectExchanges::Progress() {
  Ended ended;
  for (HostResolver::Answer& answer : resolver_.TakeAnswers()) {
    for (auto& [t, x] : active_) {
      if (x->phase == Exchange::Phase::kResolving && x->resolve_id == answer.id) {
        Resolved(*x, std::move(answer), ended);
        break;
      }
    }
  }
  const absl::Time now = clock_->Now();
  std::vector<Exchange*> running;
  for (auto& [t, x] : active_) {
    if (x->phase != Exchange::Phase::kEnded) running.push_back(x.get());
  }
  for (Exchange* x : running) {
    if (x->phase == Exchange::Phase::kEnded) continue;
    Advance(*x, ended);
    if (x->phase != Exchange::Phase::kEnded && now >= x->deadline) {
      End(*x, TimedOut(*x), ended);
    }
  }
  Deliver(ended);
}

void DirectExchanges::Resolved(Exchange& x, HostResolver::Answer answer, Ended& ended) {
  if (answer.error != 0 || answer.addresses.empty()) {
    const std::string why =
        answer.error != 0 ? HostResolver::ErrorText(answer.error) : "no address";
    End(x,
        MarkNotSent(absl::UnavailableError(
            absl::StrCat(x.what, ": could not resolve host ", x.target.host, ": ", why))),
        ended);
    return;
  }
  x.addresses = std::move(answer.addresses);
  x.next_address = 0;
  Connect(x, ended);
}

absl::Status DirectExchanges::TimedOut(const Exchange& x) const {
  const std::string within =
      absl::StrCat(" within ", absl::FormatDuration(options_.connect_timeout),
                   " (stalled or could not connect)");
  switch (x.phase) {
    case Exchange::Phase::kResolving:
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat(x.what, ": could not resolve host ", x.target.host, within)));
    case Exchange::Phase::kConnecting:
      return MarkNotSent(absl::UnavailableError(
          absl::StrCat(x.what, ": could not connect to ", x.origin, within)));
    default:
      return absl::UnavailableError(absl::StrCat(
          x.what, ": no progress for ", absl::FormatDuration(options_.stall_timeout),
          " (stalled; ", x.sent, " of ", x.total(), " request bytes sent, ",
          x.parser->bytes_consumed(), " response bytes received)"));
  }
}

void DirectExchanges::StartQueued(Ended& ended) {
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second->phase == Exchange::Phase::kEnded) {
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  while (!queued_.empty() &&
         active_.size() < static_cast<std::size_t>(options_.max_connections)) {
    std::unique_ptr<Exchange> x = std::move(queued_.front());
    queued_.erase(queued_.begin());
    Exchange& ref = *x;
    active_[ref.transfer.get()] = std::move(x);
    Begin(ref, ended);
  }
}

void DirectExchanges::Deliver(Ended& ended) {
  // Ended exchanges leave before their transfers are finished: finishing
  // calls back into Abort.
  StartQueued(ended);
  for (auto& [transfer, status] : ended) finish_(transfer, std::move(status));
  ended.clear();
}

}  // namespace cohort::blob::s3
