#include "cohort/transport/tcp_transport.h"

#include <atomic>
#include <utility>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "cohort/base/deadline.h"
#include "cohort/resilience/status_hints.h"
#include "transport/rpc_codec.h"
#include "transport/tcp/address.h"
#include "transport/tcp/pool.h"
#include "transport/tcp/server_connection.h"
#include "transport/tcp/tls.h"

namespace cohort::transport {
namespace {

using asio::experimental::as_tuple;
// (asio 1.22 cannot instantiate a channel of void(error_code) alone.)
using Drained = asio::experimental::concurrent_channel<void(asio::error_code, bool)>;

constexpr std::uint32_t kMinFrameSize = 1024;

std::string EndpointString(const asio::ip::tcp::endpoint& endpoint) {
  return FormatHostPort(endpoint.address().to_string(), endpoint.port());
}

// Everything the transport's coroutines share; outlives the transport object
// while they run.
struct Core {
  TcpTransportOptions options;
  Context ctx;
  LoggerPtr logger;
  std::shared_ptr<TlsCredentials> tls;
  std::shared_ptr<ServerState> server;
  std::shared_ptr<ConnectionPool> pool;
  asio::strand<Executor> control;  // the acceptor and the reload watcher
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor;  // on `control`
  asio::cancellation_signal stop_watcher;             // on `control`
  std::string address;
  std::atomic<bool> shut_down{false};
  std::atomic<std::uint64_t> calls_started{0};
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};

  absl::Mutex mu;
  std::vector<std::weak_ptr<ServerConnection>> connections ABSL_GUARDED_BY(mu);

  explicit Core(const Context& c) : ctx(c), control(asio::make_strand(c.executor)) {}

  std::vector<std::shared_ptr<ServerConnection>> LiveConnections() {
    absl::MutexLock lock(&mu);
    std::vector<std::shared_ptr<ServerConnection>> live;
    std::vector<std::weak_ptr<ServerConnection>> kept;
    for (auto& weak : connections) {
      if (auto c = weak.lock(); c != nullptr && !c->closed()) {
        live.push_back(c);
        kept.push_back(std::move(weak));
      }
    }
    connections = std::move(kept);
    return live;
  }
};

// Runs the TLS handshake of an accepted connection.
Awaitable<absl::Status> ServerHandshake(Stream::Tls& tls) {
  auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                           as_tuple(asio::use_awaitable));
  if (ec) co_return absl::UnauthenticatedError(ec.message());
  co_return absl::OkStatus();
}

// Sets up one accepted connection on its own strand.
Awaitable<void> Accept(std::shared_ptr<Core> core, asio::ip::tcp::socket socket,
                       asio::strand<Executor> strand) {
  asio::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  const auto remote = socket.remote_endpoint(ec);
  PeerIdentity peer;
  peer.address = ec ? std::string("unknown") : EndpointString(remote);
  std::unique_ptr<Stream> stream;
  if (core->tls == nullptr) {
    stream = std::make_unique<Stream>(std::move(socket));
  } else {
    std::shared_ptr<asio::ssl::context> context = core->tls->server_context();
    Stream::Tls tls(std::move(socket), *context);
    const absl::Time deadline = core->ctx.clock->Now() + core->options.connect_timeout;
    Awaitable<absl::Status> handshake = ServerHandshake(tls);
    absl::Status status = co_await WithDeadline(*core->ctx.clock, deadline, std::move(handshake),
                                                "TLS handshake");
    if (!status.ok()) {
      core->refused.fetch_add(1, std::memory_order_relaxed);
      core->logger->warn("cohort transport: refused connection from {}: TLS handshake failed: {}",
                         peer.address, std::string(status.message()));
      asio::error_code ignored;
      tls.next_layer().close(ignored);
      co_return;
    }
    peer.subject = PeerSubject(tls.native_handle());
    stream = std::make_unique<Stream>(std::move(tls));
  }
  if (core->shut_down.load(std::memory_order_acquire)) co_return;
  auto connection = std::make_shared<ServerConnection>(strand, std::move(peer), core->server);
  {
    absl::MutexLock lock(&core->mu);
    core->connections.push_back(connection);
  }
  core->accepted.fetch_add(1, std::memory_order_relaxed);
  connection->Serve(std::move(stream));
}

Awaitable<void> AcceptLoop(std::shared_ptr<Core> core) {
  for (;;) {
    asio::strand<Executor> strand = asio::make_strand(core->ctx.executor);
    auto [ec, socket] = co_await core->acceptor->async_accept(strand, as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !core->acceptor->is_open() ||
        core->shut_down.load(std::memory_order_acquire)) {
      co_return;
    }
    if (ec) {
      // Out of descriptors or memory: say so once per failure and give the
      // system a moment instead of spinning.
      core->logger->error("cohort transport: accept on {} failed: {}", core->address,
                          ec.message());
      (void)co_await core->ctx.clock->SleepFor(absl::Milliseconds(50));
      continue;
    }
    core->LiveConnections();  // prunes closed ones
    Awaitable<void> accept = Accept(core, std::move(socket), strand);
    asio::co_spawn(strand, std::move(accept), asio::detached);
  }
}

Awaitable<void> WatchCertificates(std::shared_ptr<Core> core) {
  absl::Time seen = core->tls->FilesModified().value_or(absl::InfinitePast());
  std::string last_error;
  for (;;) {
    Awaitable<absl::Status> sleep = core->ctx.clock->SleepFor(core->tls->options().reload_interval);
    auto token = asio::bind_cancellation_slot(core->stop_watcher.slot(), asio::use_awaitable);
    absl::Status slept = co_await asio::co_spawn(core->control, std::move(sleep), token);
    if (!slept.ok() || core->shut_down.load(std::memory_order_acquire)) co_return;
    absl::StatusOr<absl::Time> modified = core->tls->FilesModified();
    if (modified.ok() && *modified == seen) continue;
    absl::Status status = modified.ok() ? core->tls->Reload() : modified.status();
    if (status.ok()) {
      seen = *modified;
      last_error.clear();
      core->logger->info("cohort transport: reloaded TLS certificates for {}", core->address);
    } else if (std::string(status.message()) != last_error) {
      last_error = std::string(status.message());
      core->logger->error("cohort transport: TLS reload for {} failed, keeping the old "
                          "certificates: {}",
                          core->address, last_error);
    }
  }
}

Awaitable<void> WaitDrained(std::shared_ptr<Drained> drained) {
  (void)co_await drained->async_receive(as_tuple(asio::use_awaitable));
}

// The request frame's payload for a call or message to `peer`, or why it
// cannot be sent (every error marked not sent).
absl::StatusOr<std::string> EncodeForPeer(const Core& core, const std::string& peer,
                                          std::string_view method, std::string body,
                                          const CallOptions& options) {
  if (core.shut_down.load(std::memory_order_acquire)) {
    return MarkNotSent(
        absl::UnavailableError(absl::StrCat("transport ", core.address, " is shut down")));
  }
  const absl::Time now = core.ctx.clock->Now();
  if (options.deadline <= now) {
    return MarkNotSent(absl::DeadlineExceededError(
        absl::StrCat("call to ", peer, " not sent: its deadline had already passed")));
  }
  RpcRequest rpc;
  rpc.method = std::string(method);
  if (options.deadline != absl::InfiniteFuture()) rpc.timeout = options.deadline - now;
  rpc.trace = options.trace;
  rpc.body = std::move(body);
  std::string payload;
  EncodeRequest(rpc, &payload);
  if (payload.size() > core.options.max_frame_size) {
    return MarkNotSent(absl::ResourceExhaustedError(
        absl::StrCat("request of ", payload.size(), " bytes to ", peer,
                     " exceeds the frame limit of ", core.options.max_frame_size, " bytes")));
  }
  return payload;
}

class TcpTransportImpl final : public TcpTransport {
 public:
  explicit TcpTransportImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  ~TcpTransportImpl() override {
    if (core_->shut_down.exchange(true)) return;
    core_->server->draining.store(true);
    StopListening();
    for (auto& c : core_->LiveConnections()) {
      c->CancelHandlers();
      c->Close(absl::UnavailableError("transport destroyed"));
    }
    core_->pool->CloseAll(absl::UnavailableError(
        absl::StrCat("transport ", core_->address, " was destroyed")));
  }

  const std::string& address() const override { return core_->address; }

  absl::Status Register(std::string method, Handler handler) override {
    if (method.empty()) return absl::InvalidArgumentError("method name must not be empty");
    if (!handler) return absl::InvalidArgumentError("handler must not be empty");
    absl::MutexLock lock(&core_->server->mu);
    auto [it, inserted] = core_->server->handlers.emplace(
        method, std::make_shared<const Handler>(std::move(handler)));
    if (!inserted) {
      return absl::AlreadyExistsError(
          absl::StrCat("method \"", method, "\" already has a handler on ", core_->address));
    }
    return absl::OkStatus();
  }

  Awaitable<absl::StatusOr<std::string>> Call(std::string_view peer, std::string_view method,
                                              std::string request,
                                              const CallOptions& options) override {
    std::shared_ptr<Core> core = core_;
    core->calls_started.fetch_add(1, std::memory_order_relaxed);
    const absl::Time deadline = options.deadline;
    const std::string peer_name(peer);
    absl::StatusOr<std::string> payload =
        EncodeForPeer(*core, peer_name, method, std::move(request), options);
    if (!payload.ok()) co_return payload.status();
    Executor executor = co_await asio::this_coro::executor;
    // A connection can close between being picked and taking the call; the
    // call was not sent then, so one more connection is tried.
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<std::shared_ptr<ClientConnection>> connection = core->pool->Get(peer_name);
      if (!connection.ok()) co_return connection.status();
      auto call = std::make_shared<PendingCall>(executor, deadline);
      absl::StatusOr<std::uint64_t> id = (*connection)->StartCall(call, *payload);
      if (!id.ok()) {
        if (attempt == 0 && WasNotSent(id.status())) continue;
        co_return id.status();
      }
      auto [ec, result] = co_await call->reply.async_receive(as_tuple(asio::use_awaitable));
      if (ec) {
        (*connection)->Abandon(*id);
        co_return absl::CancelledError(absl::StrCat("call to ", peer_name, " was cancelled"));
      }
      co_return std::move(result);
    }
  }

  absl::Status Send(std::string_view peer, std::string_view method, std::string message,
                    const CallOptions& options) override {
    Core& core = *core_;
    core.messages_sent.fetch_add(1, std::memory_order_relaxed);
    const std::string peer_name(peer);
    absl::StatusOr<std::string> payload =
        EncodeForPeer(core, peer_name, method, std::move(message), options);
    if (!payload.ok()) return payload.status();
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<std::shared_ptr<ClientConnection>> connection = core.pool->Get(peer_name);
      if (!connection.ok()) return connection.status();
      absl::Status sent = (*connection)->StartOneWay(*payload);
      if (!sent.ok() && attempt == 0 && WasNotSent(sent)) continue;
      return sent;
    }
  }

  Awaitable<void> Shutdown(absl::Time deadline) override {
    std::shared_ptr<Core> core = core_;
    if (core->shut_down.exchange(true)) co_return;
    core->server->draining.store(true);
    StopListening();
    std::vector<std::shared_ptr<ServerConnection>> connections = core->LiveConnections();
    for (auto& c : connections) c->GoAway();

    auto drained = std::make_shared<Drained>(co_await asio::this_coro::executor, 1);
    {
      absl::MutexLock lock(&core->server->mu);
      core->server->on_idle = [drained] { drained->try_send(asio::error_code(), true); };
    }
    if (core->server->in_flight.load() > 0) {
      Awaitable<void> wait = WaitDrained(drained);
      Awaitable<absl::Status> bounded = [](Awaitable<void> w) -> Awaitable<absl::Status> {
        co_await std::move(w);
        co_return absl::OkStatus();
      }(std::move(wait));
      (void)co_await WithDeadline(*core->ctx.clock, deadline, std::move(bounded), "drain");
    }
    for (auto& c : connections) {
      c->CancelHandlers();
      c->CloseWhenFlushed(absl::UnavailableError(
          absl::StrCat("server ", core->address, " shut down")));
    }
    core->pool->CloseAll(absl::UnavailableError(
        absl::StrCat("transport ", core->address, " shut down")));
    {
      absl::MutexLock lock(&core->server->mu);
      core->server->on_idle = nullptr;
    }
  }

  absl::Status ReloadCertificates() override {
    if (core_->tls == nullptr) {
      return absl::FailedPreconditionError("this transport does not use TLS");
    }
    return core_->tls->Reload();
  }

  TcpTransportStats stats() const override {
    TcpTransportStats s;
    s.calls_started = core_->calls_started.load();
    s.messages_sent = core_->messages_sent.load();
    s.calls_served = core_->server->calls_served.load();
    s.connections_opened = core_->pool->connections_opened();
    s.connect_failures = core_->pool->connect_failures();
    s.connections_accepted = core_->accepted.load();
    s.connections_refused = core_->refused.load();
    s.protocol_errors = core_->server->protocol_errors.load();
    return s;
  }

 private:
  void StopListening() {
    std::shared_ptr<Core> core = core_;
    asio::dispatch(core->control, [core] {
      core->stop_watcher.emit(asio::cancellation_type::terminal);
      if (core->acceptor != nullptr) {
        asio::error_code ignored;
        core->acceptor->close(ignored);
      }
    });
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

absl::Status TcpTransportOptions::Validate() const {
  if (max_frame_size < kMinFrameSize || max_frame_size > kMaxMaxPayload) {
    return absl::InvalidArgumentError(absl::StrCat("max_frame_size must be in [", kMinFrameSize,
                                                   ", ", kMaxMaxPayload, "], got ",
                                                   max_frame_size));
  }
  if (connections_per_peer < 1 || connections_per_peer > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("connections_per_peer must be in [1, 64], got ", connections_per_peer));
  }
  if (connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("connect_timeout must be > 0, got ",
                                                   absl::FormatDuration(connect_timeout)));
  }
  if (max_concurrent_calls_per_connection < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_concurrent_calls_per_connection must be >= 1, got ",
                     max_concurrent_calls_per_connection));
  }
  if (absl::Status s = reconnect.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("reconnect: ", s.message()));
  }
  if (!listen_address.empty()) {
    if (auto parsed = ParseHostPort(listen_address); !parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("listen_address: ", parsed.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TcpTransport>> TcpTransport::Create(TcpTransportOptions options,
                                                                   const Context& ctx) {
  if (absl::Status s = ctx.Validate(); !s.ok()) return s;
  if (!ctx.executor) {
    return absl::InvalidArgumentError("TcpTransport needs a Context with an executor");
  }
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  auto core = std::make_shared<Core>(ctx);
  core->logger = ctx.LoggerOrNull();
  const bool listening = !options.listen_address.empty();
  if (options.tls.has_value()) {
    absl::StatusOr<std::shared_ptr<TlsCredentials>> tls =
        TlsCredentials::Create(*options.tls, listening);
    if (!tls.ok()) return tls.status();
    core->tls = *std::move(tls);
  }
  if (listening) {
    absl::StatusOr<HostPort> listen = ParseHostPort(options.listen_address);
    asio::error_code ec;
    const asio::ip::address ip = asio::ip::make_address(listen->host, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listen_address must be an IP address to bind, got \"", listen->host, "\""));
    }
    const asio::ip::tcp::endpoint endpoint(ip, listen->port);
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(core->control);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options.listen_address, ": ", ec.message()));
    }
    core->address = EndpointString(acceptor->local_endpoint(ec));
    core->acceptor = std::move(acceptor);
  }
  if (!options.advertised_address.empty()) core->address = options.advertised_address;

  core->server = std::make_shared<ServerState>();
  core->server->clock = ctx.clock;
  core->server->logger = core->logger;
  core->server->local_address = core->address;
  core->server->max_payload = options.max_frame_size;
  core->server->max_concurrent_calls = options.max_concurrent_calls_per_connection;
  core->pool = std::make_shared<ConnectionPool>(options, ctx, core->tls);
  core->options = std::move(options);

  if (core->acceptor != nullptr) {
    Awaitable<void> loop = AcceptLoop(core);
    asio::co_spawn(core->control, std::move(loop), asio::detached);
  }
  if (core->tls != nullptr && core->tls->options().reload_interval > absl::ZeroDuration()) {
    Awaitable<void> watch = WatchCertificates(core);
    asio::co_spawn(core->control, std::move(watch), asio::detached);
  }
  return std::unique_ptr<TcpTransport>(new TcpTransportImpl(std::move(core)));
}

}  // namespace cohort::transport
