// TcpTransport: the Transport over TCP, optionally with TLS or mutual TLS.
//
//   asio::io_context io;
//   cohort::RealContext real(io.get_executor());
//   cohort::transport::TcpTransportOptions options;
//   options.listen_address = "127.0.0.1:7001";
//   COHORT_ASSIGN_OR_RETURN(auto transport,
//                           TcpTransport::Create(options, real.context()));
//   transport->Register("kv.Get", handler);
//   ... co_await transport->Call("127.0.0.1:7002", "kv.Get", request, call_options);
//
// Wire: every connection carries length-prefixed, checksummed frames
// (format version, type, correlation id, CRC32C of header and payload). Many
// calls are in flight on one connection at once (pipelining); responses are
// matched to calls by correlation id, in any order. A frame whose announced
// size exceeds `max_frame_size` is refused before anything is allocated for
// it, and the connection is closed; so is a connection sending bytes that are
// not cohort frames. Either is logged once and the server keeps serving every
// other connection.
//
// Calls: each call carries its remaining time (not an absolute time, so clock
// offsets between hosts do not matter) and its W3C trace context. When the
// deadline passes or the awaiting coroutine is cancelled, the call completes
// at once and a cancel frame tells the server, which cancels the handler.
// Statuses are those of Transport (cohort/transport/transport.h).
//
// Connections: `connections_per_peer` connections per destination, opened on
// first use and reopened on demand after they break. After a failed connect,
// the next attempt waits a backoff computed by the retry policy of
// `reconnect`; calls made meanwhile fail at once with kUnavailable marked
// "not sent", naming the last connect error.
//
// Server side: each accepted connection runs on its own strand; its handlers
// run there too, interleaving only at their co_await points, so the handlers
// of one connection never run in parallel, while different connections use
// every thread of the executor.
//
// Shutdown drains: no new connections or calls are accepted (clients that
// still send are told the server is going away, and their calls fail as
// "not sent"), handlers in flight run until the deadline, then the rest are
// cancelled and every connection closes.
//
// Thread-safety: every method may be called from any thread. The transport
// must outlive the coroutines that use it, and must be shut down (or
// destroyed) before its executor's io_context is destroyed. The listening
// port is released on the executor shortly after Shutdown or destruction,
// not synchronously.
#ifndef COHORT_TRANSPORT_TCP_TRANSPORT_H_
#define COHORT_TRANSPORT_TCP_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/context.h"
#include "cohort/resilience/retry_policy.h"
#include "cohort/transport/transport.h"

namespace cohort::transport {

// TLS for both directions of a transport. Files are PEM. Certificates and
// keys are read when the transport is created and again on
// TcpTransport::ReloadCertificates() (and, with `reload_interval`, whenever a
// file changes); connections already open keep the credentials they started
// with.
struct TlsOptions {
  // This endpoint's certificate chain (leaf first) and private key: presented
  // to clients, and to servers that ask for a client certificate. Required
  // for a transport that listens; optional for a client-only one (without it,
  // servers that require client certificates refuse it).
  std::string certificate_file{};
  std::string private_key_file{};

  // Trust anchors used to verify the other side's certificate. Required.
  std::string ca_file{};

  // Server side: refuse clients that present no certificate signed by
  // `ca_file` (mutual TLS). The handler sees the verified subject in
  // ServerCall::peer.subject. Default: false.
  bool require_client_certificate = false;

  // Client side: the name the server's certificate must carry (DNS name or
  // IP address in its subject alternative names). Default: empty, meaning
  // the host part of the address being called.
  std::string server_name{};

  // How often to check the files for changes and reload them. Default: zero
  // (only on ReloadCertificates()).
  absl::Duration reload_interval = absl::ZeroDuration();
};

struct TcpTransportOptions {
  // "host:port" or "[v6]:port" to listen on; port 0 picks a free port (see
  // address()). Empty: client only; Register() still works but nothing can
  // call in. Default: empty.
  std::string listen_address{};

  // The address peers use to reach this endpoint, returned by address().
  // Default: empty, meaning the address actually bound.
  std::string advertised_address{};

  // Largest frame payload accepted or sent, 1 KiB to 1 GiB. A larger request
  // fails with kResourceExhausted before it is sent; a larger frame from a
  // peer closes its connection. Default: 16 MiB.
  std::uint32_t max_frame_size = 16u << 20;

  // Connections opened to each peer; calls are spread over them round-robin.
  // 1 to 64. Default: 1 (pipelining makes one enough for most loads).
  int connections_per_peer = 1;

  // Time allowed for TCP connect plus TLS handshake. > 0. Default: 5 s.
  absl::Duration connect_timeout = absl::Seconds(5);

  // Backoff between failed connects to one peer (max_attempts and timeout are
  // ignored: reconnection never gives up while calls keep coming).
  // Default: 50 ms doubling up to 5 s, full jitter.
  RetryOptions reconnect = DefaultReconnect();

  // Calls served at once on one connection; more are refused with
  // kResourceExhausted carrying a retry-after hint. >= 1. Default: 4096.
  int max_concurrent_calls_per_connection = 4096;

  // Default: none (plain TCP).
  std::optional<TlsOptions> tls{};

  static RetryOptions DefaultReconnect() {
    RetryOptions options;
    options.initial_backoff = absl::Milliseconds(50);
    options.max_backoff = absl::Seconds(5);
    return options;
  }

  // OK, or kInvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

// Counters since creation; read with TcpTransport::stats().
struct TcpTransportStats {
  std::uint64_t calls_started = 0;
  std::uint64_t messages_sent = 0;     // one-way, through Send
  std::uint64_t calls_served = 0;      // including one-way messages handled
  std::uint64_t connections_opened = 0;   // outgoing, established
  std::uint64_t connect_failures = 0;     // outgoing, failed to establish
  std::uint64_t connections_accepted = 0;  // incoming, after the TLS handshake
  std::uint64_t connections_refused = 0;   // incoming, failed the TLS handshake
  std::uint64_t protocol_errors = 0;       // connections closed for bad frames
};

class TcpTransport : public Transport {
 public:
  // Binds `options.listen_address` (if any) and starts serving on
  // `ctx.executor`. kInvalidArgument for bad options or a Context without an
  // executor or clock; kUnavailable if the address cannot be bound (in use,
  // not local); kInvalidArgument if a TLS file cannot be read or parsed (the
  // message names the file).
  static absl::StatusOr<std::unique_ptr<TcpTransport>> Create(TcpTransportOptions options,
                                                              const Context& ctx);

  // Re-reads the TLS files; new connections use them. kFailedPrecondition
  // without TLS; kInvalidArgument (and the old credentials stay in use) if a
  // file is missing or invalid.
  virtual absl::Status ReloadCertificates() = 0;

  virtual TcpTransportStats stats() const = 0;
};

}  // namespace cohort::transport

#endif  // COHORT_TRANSPORT_TCP_TRANSPORT_H_
