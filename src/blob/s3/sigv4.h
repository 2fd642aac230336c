// AWS Signature Version 4: signs a request in its Authorization header or as
// a presigned URL (query signing).
//
// Reference: "Signing AWS API requests" (AWS General Reference) and the
// aws-c-auth signing test suite, whose every case tests/blob/s3/sigv4_test.cc
// replays byte for byte.
//
// Thread-safety: pure functions of their arguments.
#ifndef COHORT_SRC_BLOB_S3_SIGV4_H_
#define COHORT_SRC_BLOB_S3_SIGV4_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/credentials.h"

namespace cohort::blob::s3 {

// The payload hash S3 accepts when the body is not hashed (presigned URLs).
inline constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string, the payload hash of a request without body.
inline constexpr char kEmptyPayloadSha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct HttpHeader {
  std::string name{};
  std::string value{};
};

using QueryParam = std::pair<std::string, std::string>;

// A request as the signer sees it. Signing appends to `headers` (header
// signing) or to `query` (presigning), so that the caller sends exactly what
// was signed.
struct SignableRequest {
  std::string method;
  // The path NOT percent-encoded ("/bucket/my key"); it must start with '/'.
  // The signer encodes it (once) for the canonical request; send it encoded
  // the same way (UriEncode(path, /*keep_slash=*/true)).
  std::string path = "/";
  // Decoded names and values, in the order they are sent.
  std::vector<QueryParam> query;
  // As sent. Every header here is signed except hop-by-hop and
  // tracing ones (user-agent, expect, connection, transfer-encoding, ...).
  std::vector<HttpHeader> headers;
};

struct SigningParams {
  // Default: none, required ("us-east-1").
  std::string region;
  // Default: "s3".
  std::string service = "s3";
  // The signing time (x-amz-date). Default: none, required.
  absl::Time time = absl::InfinitePast();
  // Remove "." and ".." segments and empty segments before encoding the path.
  // S3 wants false (a key may contain them). Default: false.
  bool normalize_path = false;
  // Lower-case hex SHA-256 of the body, or kUnsignedPayload.
  // Default: the hash of an empty body.
  std::string payload_hash = kEmptyPayloadSha256;
  // Header signing only: also send and sign x-amz-content-sha256 (S3 requires
  // it). Default: true.
  bool add_content_sha256_header = true;
  // Whether X-Amz-Security-Token is part of what is signed. Some services
  // want it added after signing; S3 wants it signed. Default: true.
  bool sign_session_token = true;
};

// The intermediate values, for tests and for debugging a SignatureDoesNotMatch
// (S3 returns its own canonical request in that error).
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  std::string authorization;   // header signing only
};

// Signs `request` in place: removes any previous signature headers, then
// appends X-Amz-Security-Token (when the credentials have one), X-Amz-Date,
// x-amz-content-sha256 (when asked) and Authorization.
// InvalidArgument for missing credentials, region, service or time, or a path
// that does not start with '/'; kInternal if OpenSSL fails.
absl::StatusOr<SigningResult> SignHeaders(SignableRequest& request,
                                          const Credentials& credentials,
                                          const SigningParams& params);

// Presigns `request` in place by appending X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token (when
// present) and X-Amz-Signature to its query. The headers in `request` (at
// least Host) are signed and must be sent by whoever uses the URL.
// `expires_in` must be 1 s to 7 days (whole seconds); InvalidArgument
// otherwise, or as SignHeaders.
absl::StatusOr<SigningResult> Presign(SignableRequest& request,
                                      const Credentials& credentials,
                                      const SigningParams& params,
                                      absl::Duration expires_in);

// The pieces, exposed for tests.
std::string CanonicalUri(std::string_view path, bool normalize);
std::string CanonicalQueryString(const std::vector<QueryParam>& query);
// Encoded "name=value" pairs joined with '&', in the given order: what goes
// on the wire after '?'.
std::string EncodeQuery(const std::vector<QueryParam>& query);
// "20150830T123600Z".
std::string AmzDate(absl::Time time);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_SIGV4_H_
