#include "blob/s3/s3_upload.h"

#include <asio/this_coro.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

// Aborts unless the caller keeps the parts; returns `cause` either way. The
// abort has no deadline of its own: it must run even when the upload's
// deadline is what failed it (the RetryPolicy and the stall timeout bound it).
Awaitable<absl::Status> FailUpload(UploadTarget target, std::string upload_id, bool keep,
                                   absl::Status cause) {
  if (!keep) {
    absl::Status aborted = co_await AbortMultipartUpload(std::move(target), std::move(upload_id),
                                                         absl::InfiniteFuture());
    if (!aborted.ok()) {
      co_return Annotate(
          cause, absl::StrCat("(aborting the upload failed too: ", aborted.ToString(), ")"));
    }
  }
  co_return cause;
}

}  // namespace

Awaitable<absl::StatusOr<std::string>> RunMultipartUpload(UploadTarget target, MultipartPlan plan,
                                                          PartReader read) {
  std::string upload_id = plan.upload_id;
  if (upload_id.empty()) {
    COHORT_CO_ASSIGN_OR_RETURN(
        upload_id,
        co_await CreateMultipartUpload(target, plan.object_headers, plan.scheduler.deadline));
    if (plan.on_created) {
      if (absl::Status s = plan.on_created(upload_id); !s.ok()) {
        co_return co_await FailUpload(target, upload_id, false, std::move(s));
      }
    }
  }
  const std::uint64_t parts =
      plan.total == 0 ? 1 : (plan.total + plan.part_size - 1) / plan.part_size;
  PartScheduler scheduler(target, upload_id, plan.scheduler, co_await asio::this_coro::executor);
  std::set<int> skip;
  for (UploadedPart& p : plan.completed) {
    skip.insert(p.number);
    scheduler.AddCompleted(std::move(p));
  }
  if (!plan.completed.empty() && plan.scheduler.progress) {
    plan.scheduler.progress(scheduler.bytes_done(), plan.total);
  }
  // One buffer per part in flight, reused from part to part.
  auto pool = std::make_shared<PartBufferPool>(plan.scheduler.concurrency);
  const PartDigestKinds digests =
      DigestKindsFor(plan.scheduler.checksum, target.client->options().sign_payload);
  absl::Status failure;
  for (std::uint64_t i = 0; i < parts && failure.ok(); ++i) {
    const int number = static_cast<int>(i + 1);
    if (skip.count(number) > 0) continue;
    failure = co_await scheduler.WaitForSlot();
    if (!failure.ok()) break;
    const std::uint64_t offset = i * plan.part_size;
    const std::uint64_t size = std::min(plan.part_size, plan.total - offset);
    PartRequest request{.offset = offset, .size = size, .digests = digests, .pool = pool};
    absl::StatusOr<PartBody> body = co_await read(std::move(request));
    if (!body.ok()) {
      failure = body.status();
      break;
    }
    scheduler.Start(number, *std::move(body));
  }
  absl::StatusOr<std::vector<UploadedPart>> done = co_await scheduler.Finish();
  if (failure.ok()) failure = done.status();
  if (!failure.ok()) {
    co_return co_await FailUpload(target, upload_id, plan.keep_parts_on_failure,
                                  std::move(failure));
  }
  absl::StatusOr<std::string> etag = co_await CompleteMultipartUpload(
      target, upload_id, *std::move(done), plan.conditions, plan.scheduler.deadline);
  if (!etag.ok()) {
    co_return co_await FailUpload(target, upload_id, plan.keep_parts_on_failure, etag.status());
  }
  co_return etag;
}

}  // namespace cohort::blob::s3
