// Transport: request/response RPC between cohort nodes.
//
// Every networked part of cohort (Raft, the lock service, the queue broker,
// membership, the peer cache, quorum replicas) talks through this interface,
// so that the same protocol code runs over real TCP/TLS in production and
// over the deterministic SimulatedNetwork in tests.
//
// A Transport is one node's endpoint: it serves the methods registered on it
// and calls methods on other nodes by address. Request and response bodies
// are opaque bytes; each service encodes its own messages.
//
// Status codes returned by Call():
//   kUnavailable       the peer cannot be reached, or went away. When the
//                      request provably never left this node (no route,
//                      connection refused) the status is marked "not sent"
//                      (cohort/resilience/status_hints.h), so that even a
//                      non-idempotent call may be retried.
//   kDeadlineExceeded  no response before CallOptions::deadline; the handler
//                      may or may not have run.
//   kCancelled         the awaiting coroutine was cancelled; the peer's
//                      handler is cancelled too (best effort).
//   kUnimplemented     the peer has no handler for the method.
//   kResourceExhausted the request or response is larger than the frame limit.
//   anything else      the handler's own status, with its code, message and
//                      payloads (retry-after, leader hints) preserved.
//
// Thread-safety: Register before the transport starts serving; Call may be
// used concurrently from any coroutine.
#ifndef COHORT_TRANSPORT_TRANSPORT_H_
#define COHORT_TRANSPORT_TRANSPORT_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort::transport {

// W3C trace context (https://www.w3.org/TR/trace-context/) as carried on the
// wire: the raw `traceparent` and `tracestate` values. Empty when the caller
// is not tracing.
struct TraceContext {
  std::string traceparent{};
  std::string tracestate{};
};

// Who is calling, as the server sees it.
struct PeerIdentity {
  // The peer's network address ("127.0.0.1:53211", or a simulated node name).
  std::string address{};
  // With mutual TLS, the subject of the peer's verified certificate; empty
  // otherwise.
  std::string subject{};
};

struct CallOptions {
  // The call fails with kDeadlineExceeded at this time; the deadline also
  // travels to the handler. Default: none; protocol code always sets one.
  absl::Time deadline = absl::InfiniteFuture();
  // Default: empty.
  TraceContext trace{};
};

// What a handler knows about the call it serves. Valid during the handler.
struct ServerCall {
  std::string_view method;
  PeerIdentity peer{};
  TraceContext trace{};
  // The caller's deadline; the handler should give up by then.
  absl::Time deadline = absl::InfiniteFuture();
};

// Serves one method. Runs as a coroutine on the transport's executor; is
// cancelled (through its cancellation slot) when the caller gives up or the
// transport shuts down.
using Handler =
    std::function<Awaitable<absl::StatusOr<std::string>>(const ServerCall& call,
                                                         std::string request)>;

class Transport {
 public:
  virtual ~Transport() = default;

  // This endpoint's address, as peers reach it.
  virtual const std::string& address() const = 0;

  // Serves `method` with `handler`. kAlreadyExists if the method has a
  // handler; kInvalidArgument for an empty name.
  virtual absl::Status Register(std::string method, Handler handler) = 0;

  // Calls `method` on the node at `peer` and returns its response.
  virtual Awaitable<absl::StatusOr<std::string>> Call(std::string_view peer,
                                                      std::string_view method,
                                                      std::string request,
                                                      const CallOptions& options) = 0;

  // Sends `method` to `peer` as a one-way message: the peer runs its handler
  // and answers nothing; the handler's result is dropped there (failures are
  // logged at debug level, a method with no handler once at warning level).
  // For protocols that carry their own replies as messages (Raft, gossip),
  // this saves the response frame and the bookkeeping of a pending call.
  //
  // Returns once the message is queued for `peer`, before it is written: OK
  // means queued, not delivered. A message may still be lost if the
  // connection fails afterwards, or dropped by a peer that is shutting down
  // or over its limit of calls in flight; the protocol's own retransmission
  // must cover that. Messages to one peer are delivered in the order sent
  // while their connection lasts. Status codes (all marked "not sent"):
  //   kUnavailable        no connection to `peer` can take it now (unknown
  //                       or unreachable peer, backing off after a failed
  //                       connect, this transport shut down).
  //   kDeadlineExceeded   options.deadline had already passed.
  //   kResourceExhausted  larger than the frame limit.
  // Thread-safe; never blocks, and calls nothing back on the caller's stack.
  virtual absl::Status Send(std::string_view peer, std::string_view method, std::string message,
                            const CallOptions& options) = 0;

  // Stops accepting calls, lets handlers in flight finish until `deadline`,
  // then cancels the rest and fails outstanding outgoing calls with
  // kUnavailable. Idempotent.
  virtual Awaitable<void> Shutdown(absl::Time deadline) = 0;
};

}  // namespace cohort::transport

#endif  // COHORT_TRANSPORT_TRANSPORT_H_
