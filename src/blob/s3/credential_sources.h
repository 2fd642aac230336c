// The individual sources of the default credential chain (see
// credentials_provider.h for the order and the rules). Each returns
// kNotFound when it is not configured at all, so that the chain moves on, and
// any other status when it is configured but failed.
#ifndef COHORT_SRC_BLOB_S3_CREDENTIAL_SOURCES_H_
#define COHORT_SRC_BLOB_S3_CREDENTIAL_SOURCES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/credentials.h"
#include "blob/s3/credentials_provider.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"

namespace cohort::blob::s3 {

struct SourceConfig {
  EnvironmentLookup environment;
  Clock* clock = nullptr;
  std::string profile;  // empty: AWS_PROFILE or "default"
  std::string container_host;
  absl::Duration endpoint_timeout;
};

absl::StatusOr<Credentials> CredentialsFromEnvironment(const SourceConfig& config);

// The region the AWS SDKs would use when none is configured explicitly:
// AWS_REGION, then AWS_DEFAULT_REGION, then `region` in the shared config
// file's profile (AWS_CONFIG_FILE or ~/.aws/config; AWS_PROFILE or
// "default"), then "us-east-1".
std::string RegionFromEnvironment(const SourceConfig& config);
absl::StatusOr<Credentials> CredentialsFromSharedFiles(const SourceConfig& config);
Awaitable<absl::StatusOr<Credentials>> CredentialsFromContainer(SourceConfig config);
Awaitable<absl::StatusOr<Credentials>> CredentialsFromInstanceMetadata(SourceConfig config);

// The JSON document both endpoints serve: AccessKeyId, SecretAccessKey,
// Token, Expiration (RFC 3339) and, from IMDS, Code ("Success").
// kUnavailable when malformed or incomplete (the message never quotes it).
absl::StatusOr<Credentials> ParseCredentialsDocument(std::string_view json,
                                                     std::string source);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_CREDENTIAL_SOURCES_H_
