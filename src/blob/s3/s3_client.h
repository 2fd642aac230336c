// Signed S3 requests with retries: the layer between S3BlobStorage and the
// HTTP client.
//
// Every attempt fetches credentials from the provider (cached there), signs
// with SigV4 at the injected clock's time, sends through the HttpClient, and
// maps a non-2xx response to a status (s3_xml.h). Failed attempts go through
// the RetryPolicy: idempotent requests are retried on kUnavailable (throttling,
// 5xx, resets), honouring Retry-After; non-idempotent ones only when the
// request provably never left (connection refused).
//
// Thread-safety: Call may be used concurrently from any executor.
#ifndef COHORT_SRC_BLOB_S3_S3_CLIENT_H_
#define COHORT_SRC_BLOB_S3_S3_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/credentials_provider.h"
#include "blob/s3/http_client.h"
#include "blob/s3/http_types.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"
#include "cohort/resilience/retry_policy.h"

namespace cohort::blob::s3 {

struct S3ClientOptions {
  // Where S3 is: "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:4568".
  // Default: empty, meaning https://s3.<region>.amazonaws.com.
  std::string endpoint{};
  // The SigV4 region. Must not be empty. Default: "us-east-1".
  std::string region = "us-east-1";
  // Address buckets as endpoint/bucket/key (S3-compatible servers, bucket
  // names with dots) instead of bucket.endpoint/key. Default: false.
  bool path_style = false;
  // Sign the SHA-256 of in-memory bodies (true) or send UNSIGNED-PAYLOAD,
  // which saves hashing when TLS already protects the body. Default: true.
  bool sign_payload = true;
  // Retries of failed attempts. Default: RetryOptions{} (3 attempts,
  // exponential backoff with full jitter from 100 ms).
  RetryOptions retry{};
  HttpClientOptions http{};
};

struct S3Request {
  // For messages: "GetObject", "PutObject", ...
  std::string operation{};
  std::string method = "GET";
  std::string bucket{};
  // Empty for bucket-level calls. Not encoded.
  std::string key{};
  // Decoded names and values.
  std::vector<QueryParam> query{};
  std::vector<HttpHeader> headers{};
  std::string body{};
  // A body that lives elsewhere (a part in a pooled buffer), sent instead of
  // `body` when `shared_body_owner` is set, without a copy; the owner keeps
  // `shared_body` valid for every attempt. Default: none.
  std::shared_ptr<const void> shared_body_owner{};
  std::string_view shared_body{};
  // Streams the response body (on the HTTP worker thread). A request with a
  // sink is retried only when it was never sent, since a retry would stream
  // the body again. Default: collected in HttpResponse::body.
  BodySink body_sink{};
  Idempotency idempotency = Idempotency::kIdempotent;
  // Send UNSIGNED-PAYLOAD whatever S3ClientOptions::sign_payload says: for a
  // body already covered by a signed Content-MD5 header (an UploadPart),
  // hashing it again with SHA-256 buys nothing. Default: false.
  bool unsigned_payload = false;
  // Per attempt. Default: none.
  absl::Time deadline = absl::InfiniteFuture();
  // The hex SHA-256 of the body (Body()), when the caller computed it
  // already (in the same pass as a checksum): signing then does not hash the
  // body again, on any attempt. Default: empty (hashed when signed).
  std::string payload_sha256{};
  // Checks a 2xx answer before it counts as one: a non-OK status fails the
  // attempt, and kUnavailable (a truncated or malformed body, a 200 carrying
  // an <Error> such as InternalError) is retried like a reset when the
  // request is idempotent, and returned otherwise. Called on the awaiting
  // coroutine's executor. Default: every 2xx answer is accepted.
  std::function<absl::Status(const HttpResponse&)> check_response{};

  // The body to send: `shared_body` when it has an owner, else `body`.
  std::string_view Body() const {
    return shared_body_owner ? shared_body : std::string_view(body);
  }
};

class S3Client {
 public:
  // InvalidArgument for bad options (the message names the field) or a
  // Context without executor or clock. `ctx.clock` must outlive the client.
  static absl::StatusOr<std::unique_ptr<S3Client>> Create(
      S3ClientOptions options, std::shared_ptr<CredentialsProvider> credentials,
      const Context& ctx);
  ~S3Client();

  // The 2xx response, or the status of the last failed attempt (see
  // s3_xml.h for the mapping, credentials_provider.h for credential errors).
  Awaitable<absl::StatusOr<HttpResponse>> Call(S3Request request);

  // The URL of `bucket`/`key` (plus `query`) as this client addresses it.
  std::string Url(const std::string& bucket, const std::string& key,
                  const std::vector<QueryParam>& query) const;

  // A presigned URL for `method` on `bucket`/`key`, signed now with
  // `credentials`. `headers` (e.g. Content-Type) must be sent by its user.
  absl::StatusOr<std::string> Presign(const std::string& method, const std::string& bucket,
                                      const std::string& key,
                                      std::vector<HttpHeader> headers,
                                      absl::Duration expires_in,
                                      const Credentials& credentials) const;

  CredentialsProvider& credentials() { return *credentials_; }
  const S3ClientOptions& options() const { return options_; }

 private:
  struct Endpoint {
    std::string scheme;  // "https"
    std::string host;    // "s3.us-east-1.amazonaws.com:443" as given
  };
  S3Client(S3ClientOptions options, Endpoint endpoint,
           std::shared_ptr<CredentialsProvider> credentials, std::unique_ptr<HttpClient> http,
           std::unique_ptr<RetryPolicy> retry, Clock* clock);
  Awaitable<absl::StatusOr<HttpResponse>> Attempt(std::shared_ptr<const S3Request> request);
  // Host header and path for a request.
  std::pair<std::string, std::string> HostAndPath(const std::string& bucket,
                                                  const std::string& key) const;

  const S3ClientOptions options_;
  const Endpoint endpoint_;
  std::shared_ptr<CredentialsProvider> credentials_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<RetryPolicy> retry_;
  Clock* const clock_;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_S3_CLIENT_H_
