#include "blob/s3/s3_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/crypto.h"
#include "blob/s3/s3_xml.h"
#include "blob/s3/sigv4.h"
#include "blob/s3/uri_encode.h"
#include "cohort/base/status.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::blob::s3 {
absl::StatusOr<std::unique_ptr<S3Client>> S3Client::Create(
    S3ClientOptions options, std::shared_ptr<CredentialsProvider> credentials,
    const Context& ctx) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  if (credentials == nullptr) {
    return absl::InvalidArgumentError("S3Client needs a CredentialsProvider");
  }
  if (options.region.empty()) {
    return absl::InvalidArgumentError("region must not be empty (e.g. \"us-east-1\")");
  }
  std::string endpoint = options.endpoint.empty()
                             ? absl::StrCat("https://s3.", options.region, ".amazonaws.com")
                             : options.endpoint;
  while (absl::EndsWith(endpoint, "/")) endpoint.pop_back();
  Endpoint parsed;
  const std::size_t scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint must be http://host[:port] or https://host[:port], got \"", endpoint, "\""));
  }
  parsed.scheme = absl::AsciiStrToLower(endpoint.substr(0, scheme_end));
  parsed.host = endpoint.substr(scheme_end + 3);
  if ((parsed.scheme != "http" && parsed.scheme != "https") || parsed.host.empty() ||
      parsed.host.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint must be http://host[:port] or https://host[:port] without a path, got \"",
        endpoint, "\""));
  }
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http,
                          HttpClient::Create(options.http, ctx));
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<RetryPolicy> retry,
                          RetryPolicy::Create(options.retry, ctx));
  return std::unique_ptr<S3Client>(new S3Client(std::move(options), std::move(parsed),
                                                std::move(credentials), std::move(http),
                                                std::move(retry), ctx.clock));
}

S3Client::S3Client(S3ClientOptions options, Endpoint endpoint,
                   std::shared_ptr<CredentialsProvider> credentials,
                   std::unique_ptr<HttpClient> http, std::unique_ptr<RetryPolicy> retry,
                   Clock* clock)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      http_(std::move(http)),
      retry_(std::move(retry)),
      clock_(clock) {}

S3Client::~S3Client() = default;

std::pair<std::string, std::string> S3Client::HostAndPath(const std::string& bucket,
                                                          const std::string& key) const {
  std::string path = "/";
  std::string host = endpoint_.host;
  if (options_.path_style) {
    if (!bucket.empty()) absl::StrAppend(&path, bucket, key.empty() ? "" : "/");
  } else if (!bucket.empty()) {
    host = absl::StrCat(bucket, ".", host);
  }
  path += key;
  return {host, path};
}

std::string S3Client::Url(const std::string& bucket, const std::string& key,
                          const std::vector<QueryParam>& query) const {
  auto [host, path] = HostAndPath(bucket, key);
  std::string url =
      absl::StrCat(endpoint_.scheme, "://", host, UriEncode(path, /*keep_slash=*/true));
  if (!query.empty()) absl::StrAppend(&url, "?", EncodeQuery(query));
  return url;
}

absl::StatusOr<std::string> S3Client::Presign(const std::string& method,
                                              const std::string& bucket, const std::string& key,
                                              std::vector<HttpHeader> headers,
                                              absl::Duration expires_in,
                                              const Credentials& credentials) const {
  auto [host, path] = HostAndPath(bucket, key);
  SignableRequest request;
  request.method = method;
  request.path = path;
  request.headers = std::move(headers);
  request.headers.insert(request.headers.begin(), HttpHeader{"Host", host});
  SigningParams params;
  params.region = options_.region;
  params.time = clock_->Now();
  params.payload_hash = kUnsignedPayload;
  COHORT_RETURN_IF_ERROR(s3::Presign(request, credentials, params, expires_in).status());
  return absl::StrCat(endpoint_.scheme, "://", host, UriEncode(path, true), "?",
                      EncodeQuery(request.query));
}

Awaitable<absl::StatusOr<HttpResponse>> S3Client::Attempt(
    std::shared_ptr<const S3Request> request) {
  absl::StatusOr<Credentials> credentials = co_await credentials_->GetCredentials();
  if (!credentials.ok()) {
    // Nothing was sent; a transient credential failure may be retried.
    co_return MarkNotSent(Annotate(credentials.status(), "S3 credentials"));
  }
  auto [host, path] = HostAndPath(request->bucket, request->key);
  SignableRequest signable;
  signable.method = request->method;
  signable.path = path;
  signable.query = request->query;
  signable.headers = request->headers;
  signable.headers.insert(signable.headers.begin(), HttpHeader{"Host", host});
  SigningParams params;
  params.region = options_.region;
  params.time = clock_->Now();
  if (options_.sign_payload && !request->unsigned_payload) {
    if (!request->payload_sha256.empty()) {
      params.payload_hash = request->payload_sha256;
    } else {
      COHORT_CO_ASSIGN_OR_RETURN(params.payload_hash, Sha256Hex(request->Body()));
    }
  } else {
    params.payload_hash = kUnsignedPayload;
  }
  COHORT_CO_RETURN_IF_ERROR(SignHeaders(signable, *credentials, params).status());

  HttpRequest http;
  http.method = request->method;
  http.url = Url(request->bucket, request->key, request->query);
  http.headers = std::move(signable.headers);
  // Aliases the request's body: a part of a multipart upload is not copied.
  if (request->shared_body_owner) {
    http.shared_body_owner = request->shared_body_owner;
  } else {
    http.shared_body_owner = request;
  }
  http.shared_body = request->Body();
  http.body_sink = request->body_sink;
  http.deadline = request->deadline;
  absl::StatusOr<HttpResponse> response = co_await http_->Send(std::move(http));
  // "GetObject bucket/key": the object in every message.
  const std::string what = absl::StrCat(request->operation, " ", request->bucket,
                                        request->key.empty() ? "" : "/", request->key);
  if (!response.ok()) co_return Annotate(response.status(), absl::StrCat("S3 ", what));
  if (response->status < 200 || response->status > 299) {
    co_return S3ErrorStatus(*response, what);
  }
  if (request->check_response) {
    if (absl::Status checked = request->check_response(*response); !checked.ok()) {
      co_return Annotate(checked, absl::StrCat("S3 ", what));
    }
  }
  co_return response;
}

Awaitable<absl::StatusOr<HttpResponse>> S3Client::Call(S3Request request) {
  const Idempotency idempotency =
      request.body_sink ? Idempotency::kNonIdempotent : request.idempotency;
  auto shared = std::make_shared<const S3Request>(std::move(request));
  auto attempt = [this, shared]() { return Attempt(shared); };
  absl::StatusOr<HttpResponse> result = co_await retry_->AsyncRun(idempotency, std::move(attempt));
  co_return result;
}

}  // namespace cohort::blob::s3
