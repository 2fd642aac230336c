// A minimal HTTP/1.1 client for the credential endpoints (ECS/EKS container
// endpoint, EC2 instance metadata): plain http on link-local or loopback
// addresses, tiny responses, one request per connection.
//
// It is separate from the libcurl S3 client on purpose: the credential chain
// runs before any S3 client exists, and these endpoints need neither TLS nor
// keep-alive. Responses are capped at 64 KiB (credentials are < 4 KiB).
//
// Status codes: kInvalidArgument for a URL it cannot handle (not http://);
// kUnavailable (marked not-sent when the connection was refused or could not
// be opened) for network failures and malformed responses; kDeadlineExceeded
// at the deadline; kCancelled when the awaiting coroutine is cancelled.
// An HTTP error status is not an error here: the caller reads `status`.
//
// Thread-safety: a coroutine on the caller's executor; no shared state.
#ifndef COHORT_SRC_BLOB_S3_METADATA_CLIENT_H_
#define COHORT_SRC_BLOB_S3_METADATA_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/http_types.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"

namespace cohort::blob::s3 {

struct ParsedHttpUrl {
  std::string host;  // without brackets for IPv6
  std::string port;  // "80" when absent
  std::string target;  // path and query, "/" when absent
};

// Splits "http://host[:port][/path]". InvalidArgument for other schemes or
// an empty host.
absl::StatusOr<ParsedHttpUrl> ParseHttpUrl(std::string_view url);

// `clock` must outlive the call; the deadline is measured on it.
Awaitable<absl::StatusOr<HttpResponse>> MetadataRequest(Clock& clock, std::string method,
                                                        std::string url,
                                                        std::vector<HttpHeader> headers,
                                                        absl::Time deadline);

// Parses a complete HTTP/1.x response (status line, headers, body by
// Content-Length or to the end). InvalidArgument when malformed. Exposed for
// tests and the fuzz target.
absl::StatusOr<HttpResponse> ParseHttpResponse(std::string_view raw);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_METADATA_CLIENT_H_
