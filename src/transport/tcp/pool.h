// The outgoing side of a TcpTransport: connections per peer, opened on
// demand, with backoff between failed connects.
#ifndef COHORT_SRC_TRANSPORT_TCP_POOL_H_
#define COHORT_SRC_TRANSPORT_TCP_POOL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/context.h"
#include "cohort/transport/tcp_transport.h"
#include "resilience/retry_run.h"
#include "transport/tcp/client_connection.h"

namespace cohort::transport {

class ConnectionPool final : public ConnectionListener,
                             public std::enable_shared_from_this<ConnectionPool> {
 public:
  ConnectionPool(const TcpTransportOptions& options, const Context& ctx,
                 std::shared_ptr<TlsCredentials> tls);
  ~ConnectionPool() override;

  // A connection to `peer` that accepts new calls, opening one if needed.
  // kInvalidArgument for a malformed address; kUnavailable marked "not
  // sent" while backing off after a failed connect or after CloseAll.
  absl::StatusOr<std::shared_ptr<ClientConnection>> Get(std::string_view peer);

  // Fails every call in flight with `reason` and refuses new ones.
  void CloseAll(const absl::Status& reason);

  void OnConnected(const std::string& peer) override;
  void OnConnectFailed(const std::string& peer, const absl::Status& status) override;

  std::uint64_t connections_opened() const { return opened_.load(std::memory_order_relaxed); }
  std::uint64_t connect_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  struct Peer {
    std::string host;
    std::uint16_t port = 0;
    std::vector<std::shared_ptr<ClientConnection>> connections;
    std::size_t next = 0;
    // After a failed connect: no new attempt before retry_at.
    absl::Time retry_at = absl::InfinitePast();
    absl::Status last_error;
    // Backoff across consecutive failed connects; reset by a success.
    std::function<Random()> fork_random;
    std::optional<resilience_internal::RetryRun> backoff;
  };

  const int per_peer_;
  const RetryOptions reconnect_;
  const Context ctx_;
  ClientConnectionConfig config_;
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> failures_{0};

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Peer>> peers_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> closed_ ABSL_GUARDED_BY(mu_);
  std::uint64_t random_forks_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_POOL_H_
