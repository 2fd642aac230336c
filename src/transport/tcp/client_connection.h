// The calling side of one connection to a peer: connects (TCP, then TLS),
// carries pipelined calls, matches responses by correlation id, expires calls
// at their deadlines and tells the server about abandoned calls.
#ifndef COHORT_SRC_TRANSPORT_TCP_CLIENT_CONNECTION_H_
#define COHORT_SRC_TRANSPORT_TCP_CLIENT_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/experimental/concurrent_channel.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/clock.h"
#include "transport/tcp/connection.h"
#include "transport/tcp/deadline_queue.h"
#include "transport/tcp/tls.h"

namespace cohort::transport {

// One outgoing call waiting for its response. Completed exactly once, from
// whichever side gets there first (response, deadline, connection loss).
struct PendingCall {
  using Channel = asio::experimental::concurrent_channel<void(asio::error_code,
                                                              absl::StatusOr<std::string>)>;

  PendingCall(const Executor& executor, absl::Time call_deadline)
      : reply(executor, 1), deadline(call_deadline) {}

  bool Complete(absl::StatusOr<std::string> result) {
    if (done.exchange(true, std::memory_order_acq_rel)) return false;
    reply.try_send(asio::error_code(), std::move(result));
    return true;
  }

  Channel reply;
  const absl::Time deadline;
  std::atomic<bool> done{false};
  std::uint64_t sequence = 0;  // of its request frame; see Connection::OnClose
};

struct ClientConnectionConfig {
  std::string host{};
  std::uint16_t port = 0;
  std::uint32_t max_payload = 0;
  absl::Duration connect_timeout = absl::Seconds(5);
  Clock* clock = nullptr;
  LoggerPtr logger{};
  // Set for TLS.
  std::shared_ptr<TlsCredentials> tls{};
};

// Told how connecting went, so that the pool can back off.
class ConnectionListener {
 public:
  virtual ~ConnectionListener() = default;
  virtual void OnConnected(const std::string& peer) = 0;
  virtual void OnConnectFailed(const std::string& peer, const absl::Status& status) = 0;
};

class ClientConnection final : public Connection {
 public:
  ClientConnection(Strand strand, std::string peer, ClientConnectionConfig config,
                   std::weak_ptr<ConnectionListener> listener);
  ~ClientConnection() override;

  // Starts connecting. Calls may be started at once; their requests go out
  // when the connection is up.
  void Start();

  // Thread-safe. Registers `call` and queues `request_payload`. Returns its
  // correlation id, or kUnavailable (marked not sent) if the connection has
  // closed or is draining.
  absl::StatusOr<std::uint64_t> StartCall(std::shared_ptr<PendingCall> call,
                                          std::string_view request_payload);

  // Thread-safe. Queues a one-way request (no response, no pending call).
  // kUnavailable (marked not sent) if the connection has closed or is
  // draining; kResourceExhausted over the frame limit.
  absl::Status StartOneWay(std::string_view request_payload);

  // Thread-safe. The caller gave up on `id`: forget it and tell the server.
  void Abandon(std::uint64_t id);

  // Not closed and not told to go away: new calls may use it.
  bool usable() const {
    return !closed() && !draining_.load(std::memory_order_acquire);
  }

 private:
  Awaitable<absl::StatusOr<std::unique_ptr<Stream>>> Establish();
  void OnFrame(Frame frame) override;
  void OnClose(const absl::Status& reason, std::uint64_t handed_to_socket) override;
  void Expire(std::uint64_t id);
  std::shared_ptr<PendingCall> Take(std::uint64_t id);
  void CloseIfDrained();

  const ClientConnectionConfig config_;
  const std::weak_ptr<ConnectionListener> listener_;
  std::shared_ptr<DeadlineQueue> deadlines_;
  std::atomic<bool> draining_{false};
  bool established_ = false;       // on the strand only
  bool connect_reported_ = false;  // on the strand only

  absl::Mutex calls_mu_;
  std::uint64_t next_id_ ABSL_GUARDED_BY(calls_mu_) = 1;
  absl::flat_hash_map<std::uint64_t, std::shared_ptr<PendingCall>> calls_
      ABSL_GUARDED_BY(calls_mu_);
};

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_CLIENT_CONNECTION_H_
