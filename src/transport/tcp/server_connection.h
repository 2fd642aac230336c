// The serving side of one accepted connection: decodes requests, runs their
// handlers on the connection's strand, answers, honours cancel frames and
// deadlines, and drains on shutdown.
#ifndef COHORT_SRC_TRANSPORT_TCP_SERVER_CONNECTION_H_
#define COHORT_SRC_TRANSPORT_TCP_SERVER_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <asio/cancellation_signal.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/clock.h"
#include "cohort/transport/transport.h"
#include "transport/rpc_codec.h"
#include "transport/tcp/connection.h"
#include "transport/tcp/deadline_queue.h"

namespace cohort::transport {

// What every server connection of one transport shares.
struct ServerState {
  Clock* clock = nullptr;
  LoggerPtr logger{};
  std::string local_address{};
  std::uint32_t max_payload = 0;
  int max_concurrent_calls = 0;

  absl::Mutex mu;
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers
      ABSL_GUARDED_BY(mu);
  // Called (from any thread) when the last handler in flight completes
  // while draining.
  std::function<void()> on_idle ABSL_GUARDED_BY(mu);

  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::uint64_t> calls_served{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  // Methods named by one-way messages that have no handler, warned about once.
  absl::flat_hash_set<std::string> unknown_one_way ABSL_GUARDED_BY(mu);

  std::shared_ptr<const Handler> Find(std::string_view method);
  void HandlerDone();
};

class ServerConnection final : public Connection {
 public:
  ServerConnection(Strand strand, PeerIdentity peer, std::shared_ptr<ServerState> server);
  ~ServerConnection() override;

  // On the strand: serve over `stream`.
  void Serve(std::unique_ptr<Stream> stream);

  // Thread-safe: tell the client to send no more calls; calls already
  // received still get answers.
  void GoAway();
  // Thread-safe: cancel every handler in flight.
  void CancelHandlers();

 private:
  struct Serving {
    asio::cancellation_signal signal;
    absl::Time deadline;
    bool cancelled = false;  // by the client or the deadline: send no answer
    bool one_way = false;    // a message (Transport::Send): never answered
  };

  void OnFrame(Frame frame) override;
  void OnClose(const absl::Status& reason, std::uint64_t handed_to_socket) override;
  void HandleRequest(std::uint64_t id, std::string payload, bool one_way);
  // Answers `id`, or for a one-way message logs why it was not handled.
  void Refuse(std::uint64_t id, bool one_way, const absl::Status& status);
  void Cancel(std::uint64_t id);
  void Respond(std::uint64_t id, const absl::StatusOr<std::string>& result);
  Awaitable<void> RunHandler(std::uint64_t id, std::shared_ptr<const Handler> handler,
                             RpcRequest request, absl::Time deadline);

  const PeerIdentity peer_;
  const std::shared_ptr<ServerState> server_;
  std::shared_ptr<DeadlineQueue> deadlines_;
  bool going_away_ = false;  // on the strand only
  // Ids for one-way messages' handlers, apart from the client's call ids.
  static constexpr std::uint64_t kFirstOneWayId = std::uint64_t{1} << 63;
  std::uint64_t next_one_way_id_ = kFirstOneWayId;  // on the strand only
  absl::flat_hash_map<std::uint64_t, std::unique_ptr<Serving>> serving_;  // on the strand only
};

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_SERVER_CONNECTION_H_
