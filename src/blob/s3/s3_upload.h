// The driver of one multipart upload, shared by S3Storage::Put (from memory),
// S3Writer (from a stream) and UploadFile (from a file, with a journal).
#ifndef COHORT_SRC_BLOB_S3_S3_UPLOAD_H_
#define COHORT_SRC_BLOB_S3_S3_UPLOAD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "blob/s3/part_body.h"
#include "blob/s3/s3_multipart.h"
#include "cohort/base/async.h"

namespace cohort::blob::s3 {

// What a PartReader is asked for.
struct PartRequest {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  // The digests to compute while reading (FillPart); those left out are
  // computed before sending.
  PartDigestKinds digests{};
  // Where the part's buffer comes from; sized for the upload's concurrency.
  std::shared_ptr<PartBufferPool> pool{};
};

// Returns bytes [offset, offset + size) of the source, usually through
// FillPart(*request.pool, request.size, request.digests, ...).
using PartReader = std::function<Awaitable<absl::StatusOr<PartBody>>(PartRequest request)>;

struct MultipartPlan {
  std::uint64_t total = 0;
  // From ChoosePartSize; every part but the last has this size.
  std::uint64_t part_size = 0;
  // Content-Type and x-amz-meta-* for CreateMultipartUpload.
  std::vector<HttpHeader> object_headers{};
  // If-None-Match / If-Match for CompleteMultipartUpload.
  std::vector<HttpHeader> conditions{};
  SchedulerOptions scheduler{};
  bool keep_parts_on_failure = false;
  // To resume: the upload and the parts the server already holds.
  std::string upload_id{};
  std::vector<UploadedPart> completed{};
  // Called with a new upload's id before any part is sent (the journal's
  // header). A non-OK status aborts the upload.
  std::function<absl::Status(const std::string& upload_id)> on_created{};
};

// Sends the parts not yet completed, `plan.scheduler.concurrency` at a time,
// reading each just before it is sent (so memory stays at part size x
// concurrency), then completes the upload. On failure the upload is aborted
// unless keep_parts_on_failure. Returns the object's ETag.
Awaitable<absl::StatusOr<std::string>> RunMultipartUpload(UploadTarget target, MultipartPlan plan,
                                                          PartReader read);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_S3_UPLOAD_H_
