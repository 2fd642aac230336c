// S3's multipart upload calls, and a scheduler that keeps a bounded number of
// UploadPart requests in flight.
//
// UploadPart, CompleteMultipartUpload, AbortMultipartUpload and ListParts are
// idempotent (a part re-sent replaces itself), so the S3Client's RetryPolicy
// retries each failed part on its own. Each part carries its checksum
// (x-amz-checksum-crc32c by default; with Content-MD5, the ETag S3 answers is
// compared with the MD5 of the part: a mismatch is kDataLoss). Part bodies
// are shared, not copied, by every attempt (part_body.h).
//
// Thread-safety: the free functions may run concurrently. A PartScheduler
// belongs to one coroutine at a time, and its executor must not run handlers
// concurrently (one io_context thread, or a strand).
#ifndef COHORT_SRC_BLOB_S3_S3_MULTIPART_H_
#define COHORT_SRC_BLOB_S3_S3_MULTIPART_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob/s3/part_body.h"
#include "blob/s3/s3_client.h"
#include "cohort/base/async.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob::s3 {

inline constexpr std::uint64_t kMinPartSize = 5u << 20;
inline constexpr std::uint64_t kMaxPartSize = 5ull << 30;
inline constexpr int kMaxParts = 10000;

// How each part's integrity is checked.
enum class PartChecksum {
  // x-amz-checksum-crc32c header, checked by AWS S3 (servers without
  // flexible checksums, such as s3rver, ignore it); the body is also covered
  // by the signed SHA-256 payload hash unless S3ClientOptions::sign_payload
  // is off. Costs about a tenth of MD5.
  kCrc32c,
  // Content-MD5 header, which every S3-compatible server checks (a corrupted
  // part is refused with BadDigest), and the answered ETag must be the part's
  // hex MD5 (so not for SSE-KMS buckets, whose ETags are not MD5s). The
  // signed Content-MD5 covers the body, so the part is sent with
  // UNSIGNED-PAYLOAD instead of a second (SHA-256) hash.
  kContentMd5,
};

struct UploadedPart {
  int number = 0;
  std::string etag{};  // without quotes
  std::uint64_t size = 0;
};

// Where an upload goes.
struct UploadTarget {
  std::shared_ptr<S3Client> client{};
  std::string bucket{};
  std::string key{};
};

// The part size for an object of `total` bytes (0 when unknown): `wanted`,
// grown to whole MiB when the object would need more than 10,000 parts.
// kInvalidArgument when `wanted` is outside [5 MiB, 5 GiB]; kResourceExhausted
// when even 5 GiB parts are not enough.
absl::StatusOr<std::uint64_t> ChoosePartSize(std::uint64_t wanted, std::uint64_t total);

// The upload id. `headers`: Content-Type and x-amz-meta-* of the object.
Awaitable<absl::StatusOr<std::string>> CreateMultipartUpload(UploadTarget target,
                                                             std::vector<HttpHeader> headers,
                                                             absl::Time deadline);
// The digests a part's request needs with `checksum` (and the SHA-256 of a
// signed payload).
PartDigestKinds DigestKindsFor(PartChecksum checksum, bool sign_payload);

// The part's ETag (checked against its MD5 for kContentMd5). The digests
// `body` lacks are computed first (DigestKindsFor).
Awaitable<absl::StatusOr<std::string>> UploadPart(UploadTarget target, std::string upload_id,
                                                  int number, PartBody body,
                                                  PartChecksum checksum, absl::Time deadline);
// The object's ETag. `headers`: conditions (If-None-Match / If-Match).
// Malformed answers and a 200 with an <Error> body are retried (Complete is
// idempotent). When the last answer leaves open whether an earlier attempt
// completed the upload and lost its answer (NoSuchUpload, kUnavailable after
// the retries, 412 from If-None-Match), the key is HEADed: the object counts
// as completed when its ETag is the multipart ETag of `parts`
// (MultipartEtag) and its size their sum. Otherwise the failure stands; for
// NoSuchUpload it becomes kAborted (the upload was aborted: upload again), or
// kUnknown when the HEAD cannot tell.
Awaitable<absl::StatusOr<std::string>> CompleteMultipartUpload(UploadTarget target,
                                                               std::string upload_id,
                                                               std::vector<UploadedPart> parts,
                                                               std::vector<HttpHeader> headers,
                                                               absl::Time deadline);
// The ETag S3 gives an object completed from `parts`: the hex MD5 of their
// binary MD5s, then "-" and the number of parts. kFailedPrecondition when a
// part's ETag is not a hex MD5 (e.g. SSE-KMS objects).
absl::StatusOr<std::string> MultipartEtag(const std::vector<UploadedPart>& parts);

// The tail of CompleteMultipartUpload after a failure whose outcome is open
// (see there); `failure` is that failure.
Awaitable<absl::StatusOr<std::string>> CheckCompletedElsewhere(UploadTarget target,
                                                               std::vector<UploadedPart> parts,
                                                               absl::Status failure,
                                                               absl::Time deadline);

Awaitable<absl::Status> AbortMultipartUpload(UploadTarget target, std::string upload_id,
                                             absl::Time deadline);
// Every part the server holds for the upload (all pages). kNotFound with
// "NoSuchUpload" in the message when the upload no longer exists.
Awaitable<absl::StatusOr<std::vector<UploadedPart>>> ListParts(UploadTarget target,
                                                               std::string upload_id,
                                                               absl::Time deadline);

// True when `status` says that the multipart upload itself is gone.
bool IsNoSuchUpload(const absl::Status& status);

struct SchedulerOptions {
  int concurrency = 4;
  PartChecksum checksum = PartChecksum::kCrc32c;
  absl::Time deadline = absl::InfiniteFuture();
  // Total for progress reports (0 when unknown).
  std::uint64_t total = 0;
  ProgressCallback progress{};
  // Called on the executor as each part is acknowledged (the journal).
  // A non-OK status fails the upload.
  std::function<absl::Status(const UploadedPart&)> on_part_done{};
};

// Keeps up to `concurrency` UploadPart requests of one upload in flight.
class PartScheduler {
 public:
  PartScheduler(UploadTarget target, std::string upload_id, SchedulerOptions options,
                Executor executor);
  // Cancels parts still in flight (they complete in the background).
  ~PartScheduler();
  PartScheduler(const PartScheduler&) = delete;
  PartScheduler& operator=(const PartScheduler&) = delete;

  // A part the server already holds (from a journal); counted as done.
  void AddCompleted(UploadedPart part);
  // Waits until fewer than `concurrency` parts are in flight. Returns the
  // first failure of any part so far (the upload should stop).
  Awaitable<absl::Status> WaitForSlot();
  // Starts sending part `number`; call after WaitForSlot returned OK.
  void Start(int number, PartBody body);
  // Cancels the parts in flight (they fail with kCancelled); Finish still
  // has to be awaited.
  void CancelAll();
  // Waits for every part; the parts sorted by number, or the first failure.
  Awaitable<absl::StatusOr<std::vector<UploadedPart>>> Finish();

  const std::string& upload_id() const { return upload_id_; }
  std::uint64_t bytes_done() const { return bytes_done_; }

  // State shared with the part coroutines (defined in the .cc file).
  struct Shared;

 private:
  void Collect();

  UploadTarget target_;
  std::string upload_id_;
  SchedulerOptions options_;
  Executor executor_;
  std::shared_ptr<Shared> shared_;
  int in_flight_ = 0;
  std::uint64_t bytes_done_ = 0;
  absl::Status first_error_;
  std::vector<UploadedPart> done_;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_S3_MULTIPART_H_
