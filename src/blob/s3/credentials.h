// AWS credentials as a value.
//
// Secrets never reach a log: format credentials only through Describe().
#ifndef COHORT_SRC_BLOB_S3_CREDENTIALS_H_
#define COHORT_SRC_BLOB_S3_CREDENTIALS_H_

#include <string>

#include "absl/time/time.h"

namespace cohort::blob::s3 {

struct Credentials {
  std::string access_key_id{};
  std::string secret_access_key{};
  // Empty for long-term keys.
  std::string session_token{};
  // When temporary credentials stop working. Default: never.
  absl::Time expiration = absl::InfiniteFuture();
  // Where they came from ("explicit", "environment", "profile default",
  // "container", "imds"), for error messages and logs.
  std::string source{};
};

// "AKIA...WXYZ from environment, expires ..." with the access key id shortened
// and neither the secret nor the token included: safe to log.
std::string Describe(const Credentials& credentials);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_CREDENTIALS_H_
