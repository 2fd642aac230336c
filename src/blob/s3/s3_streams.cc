// BlobReader and BlobWriter of the S3 backend, and the credentials recorder.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
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

Awaitable<absl::StatusOr<std::size_t>> S3Reader::Read(std::span<std::byte> buffer) {
  if (chunk_pos_ == chunk_.size()) {
    if (next_ >= end_) co_return std::size_t{0};
    const std::uint64_t until =
        std::min<std::uint64_t>(end_, next_ + storage_->read_chunk_size());
    COHORT_CO_ASSIGN_OR_RETURN(chunk_, co_await storage_->FetchChunk(attributes_.key,
                                                                     attributes_.etag, next_,
                                                                     until, deadline_));
    chunk_pos_ = 0;
    next_ = until;
  }
  const std::size_t n = std::min(buffer.size(), chunk_.size() - chunk_pos_);
  std::memcpy(buffer.data(), chunk_.data() + chunk_pos_, n);
  chunk_pos_ += n;
  co_return n;
}

Awaitable<absl::Status> S3Writer::Write(std::span<const std::byte> data) {
  if (closed_) co_return absl::FailedPreconditionError("the writer was committed or aborted");
  buffer_.append(reinterpret_cast<const char*>(data.data()), data.size());
  co_return absl::OkStatus();
}

Awaitable<absl::StatusOr<BlobAttributes>> S3Writer::Commit() {
  if (closed_) co_return absl::FailedPreconditionError("the writer was committed or aborted");
  closed_ = true;
  std::string data = std::move(buffer_);
  PutOptions options = options_;
  options.progress = nullptr;  // a writer reports total 0, below
  absl::StatusOr<BlobAttributes> committed = co_await storage_->Put(key_, data, options);
  if (committed.ok() && options_.progress) options_.progress(committed->size, 0);
  co_return committed;
}

Awaitable<absl::Status> S3Writer::Abort() {
  closed_ = true;
  buffer_.clear();
  co_return absl::OkStatus();
}

}  // namespace cohort::blob::s3
