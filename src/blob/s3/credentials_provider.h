// Where S3 requests get their credentials: the AWS SDKs' default chain.
//
// Order (the one aws-sdk-go-v2's LoadDefaultConfig and the other SDKs use):
//   1. explicit credentials in the options;
//   2. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//      optionally AWS_SESSION_TOKEN;
//   3. the shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
//      AWS_CONFIG_FILE (~/.aws/config), profile AWS_PROFILE (or "default");
//      static keys only (no SSO, credential_process or role assumption yet);
//   4. the container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//      against http://169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI
//      (http on a loopback or the ECS/EKS link-local hosts) with the
//      Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
//      AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   5. EC2 instance metadata (IMDSv2: a session token from PUT
//      /latest/api/token, then the role's credentials), at
//      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254);
//      skipped when AWS_EC2_METADATA_DISABLED=true.
// A source that is not configured is skipped; one that is configured but
// broken (a key id without a secret, an unreachable container endpoint) stops
// the chain with its error, as in the SDKs, so that a typo never silently
// selects other credentials.
//
// Temporary credentials are cached and refreshed from the same source when
// they come within `refresh_window` of expiring: callers keep getting the
// still-valid credentials while one background refresh runs, and callers
// that arrive after expiry all wait for that one refresh (single flight).
//
// Secrets are never logged; logs name the source and a shortened key id.
#ifndef COHORT_SRC_BLOB_S3_CREDENTIALS_PROVIDER_H_
#define COHORT_SRC_BLOB_S3_CREDENTIALS_PROVIDER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/credentials.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"

namespace cohort::blob::s3 {

// Thread-safety: GetCredentials may be called concurrently from coroutines on
// any executor; waiters resume on their own executor.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;

  // Credentials valid now (for at least the refresh window, when the source
  // can deliver that).
  //   kFailedPrecondition  no source has credentials, or one is misconfigured
  //                        (the message lists what was tried; fix the setup).
  //   kUnavailable         a credential endpoint failed transiently; retry.
  //   kPermissionDenied    an endpoint refused the request.
  //   kCancelled           the awaiting coroutine was cancelled (a refresh in
  //                        progress continues for the other callers).
  virtual Awaitable<absl::StatusOr<Credentials>> GetCredentials() = 0;
};

// Looks up an environment variable; nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (std::getenv), the default EnvironmentLookup.
EnvironmentLookup ProcessEnvironment();

struct CredentialsChainOptions {
  // Used first when set. Default: none.
  std::optional<Credentials> explicit_credentials{};
  // Shared-file profile. Default: empty, meaning AWS_PROFILE or "default".
  std::string profile{};
  // Source of AWS_* variables and HOME. Default: empty, meaning the process
  // environment.
  EnvironmentLookup environment{};
  // Host (and port) of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. Tests point it
  // at a local server. Default: "169.254.170.2".
  std::string container_host = "169.254.170.2";
  // Refresh credentials this long before they expire. Must be >= 0.
  // Default: 5 minutes (the SDKs use 5 to 15).
  absl::Duration refresh_window = absl::Minutes(5);
  // Deadline of each request to a credential endpoint. Must be > 0.
  // Default: 2 s.
  absl::Duration endpoint_timeout = absl::Seconds(2);
  // After a failed background refresh, do not try again for this long while
  // the cached credentials remain valid. Must be >= 0. Default: 10 s.
  absl::Duration refresh_retry_interval = absl::Seconds(10);
};

// The default chain. Needs ctx.executor (background refreshes run there) and
// ctx.clock (expiry and deadlines), which must outlive the provider and any
// refresh it started. InvalidArgument for bad options or context.
absl::StatusOr<std::unique_ptr<CredentialsProvider>> NewDefaultCredentialsChain(
    CredentialsChainOptions options, const Context& ctx);

// Always returns `credentials` (for tests and explicit configuration).
std::unique_ptr<CredentialsProvider> NewStaticCredentialsProvider(Credentials credentials);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_CREDENTIALS_PROVIDER_H_
