// S3's XML documents: error bodies mapped to statuses, and the results of
// ListObjectsV2, CopyObject and the multipart calls.
//
// A result document that does not parse (truncated, garbage) is kUnavailable
// "malformed S3 response ...": the transfer most likely broke, so retrying an
// idempotent call is right. CopyObject and CompleteMultipartUpload may answer
// HTTP 200 with an <Error> document; their parsers map it like any error.
//
// Thread-safety: pure functions.
#ifndef COHORT_SRC_BLOB_S3_S3_XML_H_
#define COHORT_SRC_BLOB_S3_S3_XML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/http_types.h"

namespace cohort::blob::s3 {

// The status for a non-2xx S3 response (or a 200 carrying <Error>):
//   NoSuchKey, NoSuchBucket, NoSuchUpload                 -> kNotFound
//   AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
//   ExpiredToken, InvalidToken, RequestTimeTooSkewed, ...  -> kPermissionDenied
//   SlowDown, ServiceUnavailable, InternalError, RequestTimeout,
//   HTTP 429 and 5xx                                       -> kUnavailable
//                                   (with the Retry-After header as a hint)
//   PreconditionFailed, HTTP 304, BucketNotEmpty            -> kFailedPrecondition
//   ConditionalRequestConflict, OperationAborted            -> kAborted
//   InvalidRange, InvalidArgument, EntityTooLarge, ...      -> kInvalidArgument
//   BucketAlreadyExists, BucketAlreadyOwnedByYou            -> kAlreadyExists
//   BadDigest                                               -> kDataLoss
//   NotImplemented                                          -> kUnimplemented
// and otherwise by HTTP status. The message names `operation`, the S3 code,
// the HTTP status, S3's message and the request id (x-amz-request-id), which
// AWS support asks for.
absl::Status S3ErrorStatus(const HttpResponse& response, std::string_view operation);

struct S3Object {
  std::string key{};
  std::uint64_t size = 0;
  std::string etag{};
  absl::Time last_modified = absl::InfinitePast();
  std::string storage_class{};
};

struct ListObjectsV2Result {
  std::vector<S3Object> contents{};
  std::vector<std::string> common_prefixes{};
  bool is_truncated = false;
  std::string next_continuation_token{};
};

// Keys are decoded when the response says EncodingType=url.
absl::StatusOr<ListObjectsV2Result> ParseListObjectsV2(std::string_view xml);

struct CopyObjectResult {
  std::string etag{};
  absl::Time last_modified = absl::InfinitePast();
};

absl::StatusOr<CopyObjectResult> ParseCopyObjectResult(const HttpResponse& response);

struct InitiateMultipartUploadResult {
  std::string bucket{};
  std::string key{};
  std::string upload_id{};
};

absl::StatusOr<InitiateMultipartUploadResult> ParseInitiateMultipartUpload(std::string_view xml);

struct CompleteMultipartUploadResult {
  std::string location{};
  std::string bucket{};
  std::string key{};
  std::string etag{};
};

absl::StatusOr<CompleteMultipartUploadResult> ParseCompleteMultipartUpload(
    const HttpResponse& response);

struct ListedPart {
  int part_number = 0;
  std::string etag{};
  std::uint64_t size = 0;
};

struct ListPartsResult {
  std::vector<ListedPart> parts{};
  bool is_truncated = false;
  // Pass as part-number-marker for the next page.
  int next_part_number_marker = 0;
};

absl::StatusOr<ListPartsResult> ParseListParts(std::string_view xml);

// S3 timestamps: ISO 8601 in XML ("2009-10-12T17:50:30.000Z") and RFC 1123
// in headers ("Wed, 12 Oct 2009 17:50:00 GMT").
absl::StatusOr<absl::Time> ParseS3Time(std::string_view text);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_S3_XML_H_
