// Blob storage URIs: the parsed form of the strings that blob::Open accepts,
// and the CLOUD_PROVIDER convention that picks one from the environment.
//
// Grammar (scheme names are case-insensitive; everything else is exact):
//
//   mem://[name]                  a private in-memory store; `name` only labels
//                                 it in logs and messages
//   file://[localhost]/abs/path   a directory on the local file system
//   s3://bucket[?param=value&...] AWS S3 or any S3-compatible server
//   gs://bucket[?param=value&...] Google Cloud Storage through its
//                                 S3-interoperable XML API (HMAC keys)
//
// s3:// and gs:// parameters, each at most once:
//   region=<aws region>           e.g. eu-west-1. s3 default: empty (the
//                                 backend resolves AWS_REGION /
//                                 AWS_DEFAULT_REGION / the shared config);
//                                 gs default: "auto".
//   endpoint=<http[s]://host[:port][/path]>  an S3-compatible server.
//                                 s3 default: empty (AWS's regional endpoint);
//                                 gs default: https://storage.googleapis.com.
//   path_style=true|false         address the bucket in the path instead of
//                                 the host name (needed by most local
//                                 S3-compatible servers). Default: false.
//
// Percent-encoding (%XX) is decoded in the mem name, the file path and
// parameter values. Thread-safety: every function here is pure and may be
// called concurrently.
#ifndef COHORT_BLOB_URI_H_
#define COHORT_BLOB_URI_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cohort::blob {

// Where an S3-protocol bucket lives. Consumed by the s3:// backend.
struct S3Location {
  enum class Service { kAws, kGcs };
  // Default: kAws (s3://); gs:// gives kGcs.
  Service service = Service::kAws;
  // Validated against the service's bucket naming rules. Required.
  std::string bucket{};
  // Default: see the grammar above.
  std::string region{};
  // Without a trailing '/'. Default: see the grammar above.
  std::string endpoint{};
  // Default: false.
  bool path_style = false;

  friend bool operator==(const S3Location&, const S3Location&) = default;
};

// A parsed blob storage URI.
struct BlobUri {
  enum class Scheme { kMemory, kFile, kS3, kGcs };
  Scheme scheme = Scheme::kMemory;
  // kMemory: the optional label (may be empty).
  std::string memory_name{};
  // kFile: the absolute root directory, percent-decoded.
  std::string file_root{};
  // kS3 and kGcs: the bucket and how to reach it.
  S3Location s3{};
};

// Parses `uri` per the grammar above. Returns kInvalidArgument, saying what to
// change, for an unknown scheme, a relative or empty file path, a file URI
// with a host other than localhost, a path or query where the scheme takes
// none, an unknown, duplicate or empty parameter, a bad bucket name, a bad
// endpoint, path_style other than true/false, or malformed percent-encoding.
absl::StatusOr<BlobUri> ParseBlobUri(std::string_view uri);

// Validates `bucket` against S3's bucket naming rules (3-63 characters of
// a-z 0-9 . -, starting and ending with a letter or digit, no "..", not an
// IPv4 address, no reserved prefix or suffix). kInvalidArgument naming the
// broken rule.
absl::Status ValidateS3BucketName(std::string_view bucket);

// Looks up an environment variable; std::nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (getenv). Reading the environment is not
// synchronized with setenv() by the C library: call this only while no other
// thread modifies the environment.
EnvironmentLookup ProcessEnvironment();

// The URI that CLOUD_PROVIDER and its companion variables select:
//
//   CLOUD_PROVIDER  variables (required unless marked optional)   URI
//   memory          COHORT_BLOB_NAME (optional)                    mem://name
//   local           COHORT_BLOB_ROOT (absolute directory)          file://root
//   aws             COHORT_BLOB_BUCKET, AWS_REGION (or             s3://bucket?...
//                   AWS_DEFAULT_REGION), COHORT_BLOB_ENDPOINT
//                   (optional), COHORT_BLOB_PATH_STYLE (optional)
//   gcp             COHORT_BLOB_BUCKET, COHORT_BLOB_ENDPOINT       gs://bucket?...
//                   (optional)
//
// The provider name is case-insensitive; empty variables count as unset.
// Returns kInvalidArgument when CLOUD_PROVIDER is unset or unknown (listing
// the valid values) or when required variables are missing (naming every
// missing one); the variables' values are validated by ParseBlobUri.
absl::StatusOr<std::string> BlobUriFromEnvironment(const EnvironmentLookup& env);

}  // namespace cohort::blob

#endif  // COHORT_BLOB_URI_H_
