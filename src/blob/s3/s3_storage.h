// The s3:// backend of BlobStorage: AWS S3 and S3-compatible servers.
//
//   S3Options options;
//   options.bucket = "my-bucket";
//   options.region = "eu-west-1";
//   COHORT_ASSIGN_OR_RETURN(auto storage, OpenS3(options, ctx));
//
// Mapping of BlobStorage onto S3:
//   Put          PutObject (Content-Type, x-amz-meta-*, If-None-Match: * for
//                if_absent, If-Match for if_match).
//   Get          GetObject with Range and If-Match.
//   OpenReader   HeadObject, then ranged GetObjects of `read_chunk_size`
//                bytes pinned to the first ETag with If-Match, so a reader
//                never mixes two versions (kFailedPrecondition if the object
//                changes under it). The first chunk is fetched before
//                OpenReader returns: an object up to one chunk stays readable
//                as opened whatever happens to the key.
//   Put          above `multipart_threshold` bytes: a multipart upload
//                (s3_multipart.h), `upload_concurrency` parts in flight.
//   OpenWriter   buffers up to `multipart_threshold` bytes; a small object is
//                one PutObject on Commit, a larger one a multipart upload
//                whose parts are sent as the writer fills them (memory:
//                part_size x upload_concurrency). An aborted, failed or
//                destroyed writer aborts its multipart upload.
//   Stat         HeadObject; Delete DeleteObject; List ListObjectsV2 (entries
//                carry key, size, ETag and modification time, not content
//                type or metadata; page tokens are cohort's own and resume
//                with start-after, so no server can repeat an item); Copy
//                CopyObject then HeadObject (onto itself: with its own
//                headers, REPLACE, pinned by x-amz-copy-source-if-match);
//                PresignUrl a SigV4 query-signed URL.
// Modification times on Stat/List/readers are the server's; a Put result
// carries the Context clock's time (PutObject answers none).
// Conditional writes need a server that implements them (AWS S3 does since
// 2024; s3rver 3.7.1 ignores If-None-Match and If-Match on PUT, so there they
// are not enforced: the tests enforce them in the fault proxy).
#ifndef COHORT_SRC_BLOB_S3_S3_STORAGE_H_
#define COHORT_SRC_BLOB_S3_S3_STORAGE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "blob/s3/credentials_provider.h"
#include "blob/s3/s3_client.h"
#include "blob/s3/s3_multipart.h"
#include "cohort/base/context.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob {

struct S3Options {
  // The bucket. Required.
  std::string bucket{};
  // Default: "us-east-1".
  std::string region = "us-east-1";
  // Default: empty, meaning https://s3.<region>.amazonaws.com.
  std::string endpoint{};
  // Default: false (virtual-hosted buckets).
  bool path_style = false;
  // Where credentials come from. Default: null, meaning the AWS SDKs' default
  // chain configured by `credentials_chain`.
  std::shared_ptr<s3::CredentialsProvider> credentials{};
  // Default: CredentialsChainOptions{}.
  s3::CredentialsChainOptions credentials_chain{};
  // Retries, HTTP, payload signing. Default: S3ClientOptions{}; its
  // endpoint, region and path_style are taken from the fields above.
  s3::S3ClientOptions client{};
  // Bytes per GetObject of a BlobReader. Must be >= 1. Default: 8 MiB.
  std::size_t read_chunk_size = 8u << 20;
  // Put and OpenWriter objects larger than this are sent as multipart
  // uploads. Must be >= 1 and <= 5 GiB. Default: 8 MiB.
  std::uint64_t multipart_threshold = 8u << 20;
  // Part size of those uploads, 5 MiB to 5 GiB; grown for a Put whose object
  // would need more than 10,000 parts. Default: 8 MiB.
  std::uint64_t part_size = 8u << 20;
  // Parts in flight per upload, 1 to 64. Default: 4.
  int upload_concurrency = 4;
  // Each part's checksum (s3_multipart.h). Default: kCrc32c.
  s3::PartChecksum part_checksum = s3::PartChecksum::kCrc32c;
};

// InvalidArgument naming the bad field, or the errors of
// NewDefaultCredentialsChain / S3Client::Create. Needs ctx.executor and
// ctx.clock, which must outlive the storage.
absl::StatusOr<std::unique_ptr<BlobStorage>> OpenS3(const S3Options& options,
                                                    const Context& ctx);

}  // namespace cohort::blob

#endif  // COHORT_SRC_BLOB_S3_S3_STORAGE_H_
