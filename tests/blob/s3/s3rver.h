// Starts s3rver (npm s3rver 3.7.1, installed by scripts/install_node_tools.sh)
// on 127.0.0.1 with a free port and a temporary directory, and kills it when
// destroyed. s3rver knows the access key id S3RVER (secret S3RVER) and
// refuses others, but it does NOT verify SigV4 signatures (its V4 check is
// unimplemented); the AWS test vectors cover signing instead.
#ifndef COHORT_TESTS_BLOB_S3_S3RVER_H_
#define COHORT_TESTS_BLOB_S3_S3RVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cohort::blob::s3::testing {

class S3rver {
 public:
  // Starts the server with `buckets` created, and waits (bounded) until it
  // listens. FailedPrecondition with the fix when node or s3rver is missing;
  // Unavailable with s3rver's output when it does not come up.
  static absl::StatusOr<std::unique_ptr<S3rver>> Start(std::vector<std::string> buckets);
  ~S3rver();
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  // "http://127.0.0.1:<port>"
  const std::string& endpoint() const { return endpoint_; }
  // The node process serving (for the benchmark's CPU accounting).
  pid_t pid() const { return pid_; }
  static constexpr char kAccessKeyId[] = "S3RVER";
  static constexpr char kSecretAccessKey[] = "S3RVER";

 private:
  S3rver(pid_t pid, std::string dir, std::string endpoint)
      : pid_(pid), dir_(std::move(dir)), endpoint_(std::move(endpoint)) {}
  pid_t pid_;
  std::string dir_;
  std::string endpoint_;
};

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_S3RVER_H_
