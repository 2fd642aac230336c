// An HTTP client over libcurl for the S3 backend.
//
// One libcurl multi handle driven by one worker thread carries every
// transfer, so a call never blocks the caller's executor and any number of
// requests run concurrently on one thread. Connections are kept alive and
// reused (the multi handle's connection cache); easy handles are pooled.
// Large PUT bodies to http:// URLs skip libcurl's copy of the body: the same
// thread sends them on its own connections (direct_http.h,
// HttpClientOptions::direct_write_min_bytes), with the same statuses.
//
// A call completes on the awaiting coroutine's executor. Its deadline is
// measured on the injected Clock; when it passes (or the awaiting coroutine is
// cancelled) the transfer is removed from libcurl and the call returns
// kDeadlineExceeded (kCancelled).
//
// Status codes of Send: an HTTP response of any status is OK (the caller maps
// statuses). Errors: kInvalidArgument (malformed URL or request),
// kUnavailable for network failures (marked not-sent when no connection could
// be made, so that even non-idempotent requests may be retried),
// kDeadlineExceeded, kCancelled, or the status a body callback returned.
//
// Thread-safety: Send may be called concurrently from any thread. Body
// callbacks run on the worker thread, one at a time per request.
#ifndef COHORT_SRC_BLOB_S3_HTTP_CLIENT_H_
#define COHORT_SRC_BLOB_S3_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/http_types.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"

namespace cohort::blob::s3 {

// Fills `buffer` with up to `size` bytes of the request body; returns how many
// (0 at the end). Called on the worker thread.
using BodySource = std::function<absl::StatusOr<std::size_t>(char* buffer, std::size_t size)>;
// Receives the response body in pieces instead of HttpResponse::body.
// Called on the worker thread; a non-OK status aborts the transfer.
using BodySink = std::function<absl::Status(std::string_view piece)>;

struct HttpRequest {
  std::string method = "GET";
  // "http://host:port/path?query", already percent-encoded.
  std::string url{};
  std::vector<HttpHeader> headers{};
  // The body, when it is in memory.
  std::string body{};
  // The body, shared instead of copied (a multipart upload's part, kept by
  // the request for its retries): used instead of `body` when
  // `shared_body_owner` is set, which keeps `shared_body` valid.
  std::shared_ptr<const void> shared_body_owner{};
  std::string_view shared_body{};

  // The in-memory body: `shared_body` when it has an owner, else `body`.
  std::string_view InMemoryBody() const {
    return shared_body_owner ? shared_body : std::string_view(body);
  }
  // The body as a stream of `body_size` bytes, instead of `body`.
  BodySource body_source{};
  std::uint64_t body_size = 0;
  // Streams the response body when set. Default: collected in memory.
  BodySink body_sink{};
  // Default: none (only the client's connect timeout applies).
  absl::Time deadline = absl::InfiniteFuture();
};

struct HttpClientOptions {
  // Concurrent connections, in total and per host. Must be >= 1.
  // Default: 64.
  int max_connections = 64;
  // Time to establish a connection (TCP + TLS). Must be > 0. Default: 10 s.
  absl::Duration connect_timeout = absl::Seconds(10);
  // A transfer that moves less than one byte per second for this long fails
  // with kUnavailable: a server that stops answering mid-body. Measured by
  // libcurl on the machine's clock (a network-level safeguard, not a
  // deadline). Must be >= 1 s. Default: 60 s.
  absl::Duration stall_timeout = absl::Seconds(60);
  // Verify TLS certificates. Only for test servers with self-signed
  // certificates should this be false. Default: true.
  bool verify_tls = true;
  // Responses collected in memory larger than this fail with
  // kResourceExhausted; stream bigger ones through a BodySink.
  // Must be >= 1. Default: 64 MiB.
  std::size_t max_response_bytes = 64u << 20;
  // PUT requests to http:// URLs with an in-memory body of at least this
  // many bytes are written from the caller's memory on the client's own
  // connections instead of through libcurl, which copies every body into its
  // upload buffer: a tenth of a multipart upload's CPU. Same statuses,
  // connection reuse and timeouts either way (the connect and stall timeouts
  // of these connections are measured on the injected clock). Not used when
  // http_proxy or all_proxy is set. 0: every PUT with an in-memory body;
  // SIZE_MAX: none. Default: 256 KiB.
  std::size_t direct_write_min_bytes = 256u << 10;
};

class HttpClient {
 public:
  // InvalidArgument for bad options or a Context without a clock;
  // kInternal when libcurl cannot be initialised. `ctx.clock` must outlive
  // the client.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(HttpClientOptions options,
                                                            const Context& ctx);
  // Aborts transfers still running (their callers get kCancelled) and joins
  // the worker thread.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Awaitable<absl::StatusOr<HttpResponse>> Send(HttpRequest request);

 private:
  class Worker;
  HttpClient(std::shared_ptr<Worker> worker, Clock* clock);
  Awaitable<absl::StatusOr<HttpResponse>> SendNoDeadline(std::shared_ptr<HttpRequest> request);

  std::shared_ptr<Worker> worker_;
  Clock* clock_;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_HTTP_CLIENT_H_
