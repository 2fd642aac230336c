#include "transport/tcp/pool.h"

#include <climits>
#include <utility>

#include <asio/strand.hpp>

#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"
#include "transport/tcp/address.h"

namespace cohort::transport {
namespace {

// Reconnection never gives up while calls keep coming, and every connect
// error is worth another attempt after the backoff.
RetryOptions ForReconnecting(RetryOptions options) {
  options.max_attempts = INT_MAX;
  options.timeout = absl::InfiniteDuration();
  options.retryable = [](const absl::Status&) { return true; };
  return options;
}

}  // namespace

ConnectionPool::ConnectionPool(const TcpTransportOptions& options, const Context& ctx,
                               std::shared_ptr<TlsCredentials> tls)
    : per_peer_(options.connections_per_peer),
      reconnect_(ForReconnecting(options.reconnect)),
      ctx_(ctx) {
  config_.max_payload = options.max_frame_size;
  config_.connect_timeout = options.connect_timeout;
  config_.clock = ctx.clock;
  config_.logger = ctx.LoggerOrNull();
  config_.tls = std::move(tls);
}

ConnectionPool::~ConnectionPool() = default;

absl::StatusOr<std::shared_ptr<ClientConnection>> ConnectionPool::Get(std::string_view peer) {
  std::shared_ptr<ClientConnection> fresh;
  {
    absl::MutexLock lock(&mu_);
    if (closed_.has_value()) return MarkNotSent(*closed_);
    const absl::string_view key(peer.data(), peer.size());
    auto it = peers_.find(key);
    if (it == peers_.end()) {
      absl::StatusOr<HostPort> address = ParseHostPort(peer);
      if (!address.ok()) return address.status();
      auto entry = std::make_unique<Peer>();
      entry->host = std::move(address->host);
      entry->port = address->port;
      entry->connections.resize(static_cast<std::size_t>(per_peer_));
      const std::uint64_t fork = random_forks_++;
      entry->fork_random = [this, name = std::string(peer), fork] {
        return ctx_.NewRandom(absl::StrCat("transport/reconnect/", name, "/", fork));
      };
      it = peers_.emplace(std::string(peer), std::move(entry)).first;
    }
    Peer& p = *it->second;
    std::shared_ptr<ClientConnection>& slot = p.connections[p.next++ % p.connections.size()];
    if (slot != nullptr && slot->usable()) return slot;
    const absl::Time now = ctx_.clock->Now();
    if (now < p.retry_at) {
      return MarkNotSent(absl::UnavailableError(absl::StrCat(
          "cannot reach ", key, ": ", p.last_error.message(), " (next connect attempt in ",
          absl::FormatDuration(p.retry_at - now), ")")));
    }
    ClientConnectionConfig config = config_;
    config.host = p.host;
    config.port = p.port;
    slot = std::make_shared<ClientConnection>(asio::make_strand(ctx_.executor),
                                              std::string(peer), std::move(config),
                                              weak_from_this());
    fresh = slot;
  }
  fresh->Start();
  return fresh;
}

void ConnectionPool::CloseAll(const absl::Status& reason) {
  std::vector<std::shared_ptr<ClientConnection>> connections;
  {
    absl::MutexLock lock(&mu_);
    if (!closed_.has_value()) closed_ = reason;
    for (auto& [name, peer] : peers_) {
      for (auto& c : peer->connections) {
        if (c != nullptr) connections.push_back(std::move(c));
      }
    }
  }
  for (auto& c : connections) c->Close(reason);
}

void ConnectionPool::OnConnected(const std::string& peer) {
  opened_.fetch_add(1, std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  it->second->backoff.reset();
  it->second->retry_at = absl::InfinitePast();
}

void ConnectionPool::OnConnectFailed(const std::string& peer, const absl::Status& status) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  if (!p.backoff.has_value()) {
    p.backoff.emplace(reconnect_, Idempotency::kIdempotent, ctx_.clock, p.fork_random);
  }
  resilience_internal::RetryDecision decision = p.backoff->Decide(status);
  const absl::Duration wait = decision.done ? reconnect_.max_backoff : decision.delay;
  if (decision.done) p.backoff.reset();
  p.retry_at = ctx_.clock->Now() + wait;
  p.last_error = status;
}

}  // namespace cohort::transport
