// The HTTP client's own connections: PUT requests with large in-memory
// bodies to http:// origins are sent straight from the caller's memory,
// instead of through libcurl, which copies every body into its upload buffer
// first (about a tenth of a multipart upload's CPU). The body is not copied
// at all: vmsplice hands its pages to the kernel by reference, splice moves
// them into the socket (another 7% of the CPU).
//
// Runs on the HttpClient's worker thread, beside libcurl: the worker waits on
// these sockets together with libcurl's (curl_multi_poll's extra fds) and
// calls Progress after every wait. Behaves as the libcurl path does: the
// same statuses (kUnavailable for network failures, marked not-sent when no
// connection could be made; kInvalidArgument for a bad request), keep-alive
// connections reused per origin, a request on a reused connection that the
// server had closed sent again once on a new connection, connect and stall
// timeouts from HttpClientOptions (measured on the injected clock).
//
// Thread-compatible: the worker thread only (host-name lookups run on
// threads of their own, http_origin.h).
#ifndef COHORT_SRC_BLOB_S3_DIRECT_HTTP_H_
#define COHORT_SRC_BLOB_S3_DIRECT_HTTP_H_

#include <curl/curl.h>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "blob/s3/http_client.h"
#include "blob/s3/http_origin.h"
#include "cohort/base/clock.h"

namespace cohort::blob::s3 {

struct Transfer;

class DirectExchanges {
 public:
  // Completes a transfer (the worker's Finish), from inside Start or
  // Progress, after the exchange left; never from Abort or AbortAll.
  using FinishFn = std::function<void(const std::shared_ptr<Transfer>&, absl::Status)>;

  // `wakeup` interrupts the worker's wait (curl_multi_wakeup); it may be
  // called from a resolver thread until the destructor returns.
  DirectExchanges(const HttpClientOptions& options, Clock* clock, FinishFn finish,
                  std::function<void()> wakeup);
  // Closes every connection. Transfers still running are dropped without
  // being finished: the worker finishes them first (AbortAll).
  ~DirectExchanges();
  DirectExchanges(const DirectExchanges&) = delete;
  DirectExchanges& operator=(const DirectExchanges&) = delete;

  // Where `request` goes when it takes this path, else nullopt: a PUT to an
  // http:// URL, with an in-memory body of at least
  // options.direct_write_min_bytes (and at least one byte), without its own
  // Content-Length, Transfer-Encoding or Expect header, and no proxy
  // configured in the environment.
  std::optional<DirectTarget> Route(const HttpRequest& request) const;

  // Starts the transfer to `target` (from Route); it is finished through
  // FinishFn.
  void Start(std::shared_ptr<Transfer> transfer, DirectTarget target);
  // Drops the transfer's exchange and closes its connection (it was
  // cancelled or its deadline passed). No effect if it has none.
  void Abort(const Transfer* transfer);
  // Drops every exchange and returns their transfers, for the worker to
  // finish.
  std::vector<std::shared_ptr<Transfer>> AbortAll();

  // Adds the sockets to wait on and lowers `timeout_ms` to the time until
  // the next connect or stall timeout.
  void AddWaits(std::vector<curl_waitfd>& waits, int& timeout_ms);
  // Moves every exchange as far as its socket allows without blocking, and
  // finishes those that ended.
  void Progress();

 private:
  struct Exchange;
  using Ended = std::vector<std::pair<std::shared_ptr<Transfer>, absl::Status>>;

  void Begin(Exchange& x, Ended& ended);
  void Connect(Exchange& x, Ended& ended);
  void Advance(Exchange& x, Ended& ended);
  bool Send(Exchange& x);
  bool Sent(Exchange& x, ssize_t n);
  static void CloseConnection(Exchange& x);
  absl::Status Receive(Exchange& x, bool& again);
  void End(Exchange& x, absl::Status status, Ended& ended);
  bool RetryOnNewConnection(Exchange& x, Ended& ended);
  void Resolved(Exchange& x, HostResolver::Answer answer, Ended& ended);
  // The status of an exchange whose connect or stall timeout passed.
  absl::Status TimedOut(const Exchange& x) const;
  void StartQueued(Ended& ended);
  void Deliver(Ended& ended);

  const HttpClientOptions options_;
  Clock* const clock_;
  FinishFn finish_;
  bool proxied_ = false;
  HostResolver resolver_;
  IdleConnections idle_;
  std::unordered_map<const Transfer*, std::unique_ptr<Exchange>> active_;
  std::vector<std::unique_ptr<Exchange>> queued_;
  std::string read_buffer_;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_DIRECT_HTTP_H_
