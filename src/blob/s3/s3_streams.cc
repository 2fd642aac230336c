// BlobReader and BlobWriter of the S3 backend, and the credentials recorder.
#include <algorithm>
#include <cstring>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "blob/s3/s3_multipart.h"
#include "blob/s3/s3_storage_impl.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {

Awaitable<absl::StatusOr<Credentials>> RecordingProvider::GetCredentials() {
  absl::StatusOr<Credentials> c = co_await inner_->GetCredentials();
  if (c.ok()) {
    absl::MutexLock lock(&mu_);
    last_ = *c;
  }
  co_return c;
}

std::optional<Credentials> RecordingProvider::last() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

Awaitable<absl::Status> S3Reader::Prefetch() {
  if (chunk_pos_ < chunk_.size() || next_ >= end_) co_return absl::OkStatus();
  const std::uint64_t until = std::min<std::uint64_t>(end_, next_ + storage_->read_chunk_size());
  COHORT_CO_ASSIGN_OR_RETURN(chunk_, co_await storage_->FetchChunk(attributes_.key,
                                                                   attributes_.etag, next_, until,
                                                                   deadline_));
  chunk_pos_ = 0;
  next_ = until;
  co_return absl::OkStatus();
}

Awaitable<absl::StatusOr<std::size_t>> S3Reader::Read(std::span<std::byte> buffer) {
  COHORT_CO_RETURN_IF_ERROR(co_await Prefetch());
  const std::size_t n = std::min(buffer.size(), chunk_.size() - chunk_pos_);
  std::memcpy(buffer.data(), chunk_.data() + chunk_pos_, n);
  chunk_pos_ += n;
  delivered_ += n;
  if (progress_ && n > 0) progress_(delivered_, total_);
  co_return n;
}

S3Writer::~S3Writer() {
  if (scheduler_ == nullptr || closed_) return;
  // Best effort: release the parts already uploaded. The client is shared,
  // so the abort may finish after the storage is gone.
  asio::co_spawn(storage_->client_executor(),
                 AbortMultipartUpload(storage_->Target(key_), scheduler_->upload_id(),
                                      absl::InfiniteFuture()),
                 asio::detached);
}

Awaitable<absl::Status> S3Writer::Fail(absl::Status cause) {
  closed_ = true;
  buffer_.clear();
  if (scheduler_ != nullptr) {
    scheduler_->CancelAll();
    (void)co_await scheduler_->Finish();  // waits for the cancelled parts
    absl::Status aborted = co_await AbortMultipartUpload(
        storage_->Target(key_), scheduler_->upload_id(), absl::InfiniteFuture());
    scheduler_.reset();
    if (!aborted.ok()) {
      co_return Annotate(cause, absl::StrCat("(aborting the upload failed too: ",
                                             aborted.ToString(), ")"));
    }
  }
  co_return cause;
}

Awaitable<absl::Status> S3Writer::Flush(bool final) {
  const S3Options& o = storage_->options();
  if (scheduler_ == nullptr) {
    if (buffer_.size() <= o.multipart_threshold) co_return absl::OkStatus();
    absl::StatusOr<std::string> upload_id = co_await CreateMultipartUpload(
        storage_->Target(key_), S3Storage::ObjectHeaders(stored_), options_.deadline);
    if (!upload_id.ok()) co_return co_await Fail(upload_id.status());
    scheduler_ = std::make_unique<PartScheduler>(
        storage_->Target(key_), *std::move(upload_id),
        storage_->Scheduler(options_.deadline, 0, options_.progress),
        co_await asio::this_coro::executor);
  }
  while (buffer_.size() >= o.part_size || (final && !buffer_.empty())) {
    if (next_part_ > kMaxParts) {
      co_return co_await Fail(absl::ResourceExhaustedError(absl::StrCat(
          "the object outgrew 10,000 parts of ", o.part_size, " bytes; raise part_size")));
    }
    absl::Status slot = co_await scheduler_->WaitForSlot();
    if (!slot.ok()) co_return co_await Fail(std::move(slot));
    std::string part;
    if (buffer_.size() <= o.part_size) {
      part = std::move(buffer_);
      buffer_.clear();
    } else {
      part.assign(buffer_, 0, o.part_size);
      buffer_.erase(0, o.part_size);
    }
    scheduler_->Start(next_part_++, PartBodyOf(std::move(part)));
  }
  co_return absl::OkStatus();
}

Awaitable<absl::Status> S3Writer::Write(std::span<const std::byte> data) {
  if (closed_) co_return absl::FailedPreconditionError("the writer was committed or aborted");
  COHORT_CO_RETURN_IF_ERROR(
      internal::CheckDeadline(options_.deadline, *storage_->clock(), "Write"));
  buffer_.append(reinterpret_cast<const char*>(data.data()), data.size());
  written_ += data.size();
  co_return co_await Flush(/*final=*/false);
}

Awaitable<absl::StatusOr<BlobAttributes>> S3Writer::Commit() {
  if (closed_) co_return absl::FailedPreconditionError("the writer was committed or aborted");
  if (scheduler_ == nullptr) {
    closed_ = true;
    std::string data = std::move(buffer_);
    PutOptions options = options_;
    options.progress = nullptr;  // a writer reports total 0, below
    absl::StatusOr<BlobAttributes> committed = co_await storage_->Put(key_, data, options);
    if (committed.ok() && options_.progress) options_.progress(committed->size, 0);
    co_return committed;
  }
  COHORT_CO_RETURN_IF_ERROR(co_await Flush(/*final=*/true));
  absl::StatusOr<std::vector<UploadedPart>> parts = co_await scheduler_->Finish();
  if (!parts.ok()) co_return co_await Fail(parts.status());
  absl::StatusOr<std::string> etag =
      co_await CompleteMultipartUpload(storage_->Target(key_), scheduler_->upload_id(),
                                       *std::move(parts), S3Storage::Conditions(options_),
                                       options_.deadline);
  if (!etag.ok()) {
    co_return co_await Fail(S3Storage::ConditionalWriteStatus(options_, etag.status()));
  }
  closed_ = true;
  scheduler_.reset();
  BlobAttributes a;
  a.key = key_;
  a.size = written_;
  a.etag = *std::move(etag);
  a.modified = storage_->clock()->Now();
  a.content_type = stored_.content_type;
  a.metadata = stored_.metadata;
  co_return a;
}

Awaitable<absl::Status> S3Writer::Abort() {
  if (closed_) co_return absl::OkStatus();
  absl::Status s = co_await Fail(absl::OkStatus());
  co_return s;
}

}  // namespace cohort::blob::s3
