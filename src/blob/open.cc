#include "cohort/blob/open.h"

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "blob/s3/credential_sources.h"
#include "blob/s3/s3_storage.h"
#include "cohort/blob/local.h"

namespace cohort::blob {
namespace {

// The one place that knows how s3:// and gs:// are served: both speak the S3
// protocol; credentials come from the AWS SDKs' default chain (for gs://, the
// HMAC key pair in the same variables or files).
absl::StatusOr<std::unique_ptr<BlobStorage>> OpenS3Location(const S3Location& location,
                                                            const Context& ctx) {
  S3Options options;
  options.bucket = location.bucket;
  options.endpoint = location.endpoint;
  options.path_style = location.path_style;
  if (!location.region.empty()) {
    options.region = location.region;
  } else {
    s3::SourceConfig config;
    config.environment = ProcessEnvironment();
    options.region = s3::RegionFromEnvironment(config);
  }
  return OpenS3(options, ctx);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlobStorage>> OpenParsed(const BlobUri& uri, const Context& ctx) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  switch (uri.scheme) {
    case BlobUri::Scheme::kMemory:
      return NewMemoryBlobStorage(ctx, uri.memory_name);
    case BlobUri::Scheme::kFile:
      return OpenFileBlobStorage(uri.file_root, FileBlobOptions{}, ctx);
    case BlobUri::Scheme::kS3:
    case BlobUri::Scheme::kGcs:
      return OpenS3Location(uri.s3, ctx);
  }
  return absl::InvalidArgumentError("unknown BlobUri scheme");
}

absl::StatusOr<std::unique_ptr<BlobStorage>> Open(std::string_view uri, const Context& ctx) {
  COHORT_ASSIGN_OR_RETURN(BlobUri parsed, ParseBlobUri(uri));
  return OpenParsed(parsed, ctx);
}

absl::StatusOr<std::unique_ptr<BlobStorage>> OpenFromEnvironment(const EnvironmentLookup& env,
                                                                 const Context& ctx) {
  COHORT_ASSIGN_OR_RETURN(std::string uri, BlobUriFromEnvironment(env));
  auto storage = Open(uri, ctx);
  if (!storage.ok()) return Annotate(storage.status(), absl::StrCat("CLOUD_PROVIDER: ", uri));
  return storage;
}

absl::StatusOr<std::unique_ptr<BlobStorage>> OpenDefault(const Context& ctx) {
  return OpenFromEnvironment(ProcessEnvironment(), ctx);
}

}  // namespace cohort::blob
