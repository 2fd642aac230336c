#include "blob/file_transfer.h"

#include <algorithm>
#include <string>
#include <utility>

#include <asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "blob/offload.h"
#include "cohort/base/status.h"

namespace cohort::blob::internal {
namespace {

class FileReader final : public BlobReader {
 public:
  FileReader(FileStore* store, OpenedObject object, std::uint64_t begin, std::uint64_t end,
             ProgressCallback progress)
      : store_(store), object_(std::move(object)), begin_(begin), pos_(begin), end_(end),
        progress_(std::move(progress)) {}

  const BlobAttributes& attributes() const override { return object_.attributes; }

  Awaitable<absl::StatusOr<std::size_t>> Read(std::span<std::byte> buffer) override {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end_ - pos_));
    if (n == 0) co_return std::size_t{0};
    const int fd = object_.fd.get();
    const std::uint64_t offset = pos_;
    char* out = reinterpret_cast<char*>(buffer.data());
    std::string_view key = object_.attributes.key;
    auto job = [fd, out, n, offset, key]() -> absl::Status {
      return PreadFull(fd, out, n, offset, key);
    };
    auto op = Offload(store_->pool(), job);
    COHORT_CO_RETURN_IF_ERROR(co_await std::move(op));
    pos_ += n;
    if (progress_) progress_(pos_ - begin_, end_ - begin_);
    co_return n;
  }

 private:
  FileStore* const store_;
  const OpenedObject object_;
  const std::uint64_t begin_;
  std::uint64_t pos_;
  const std::uint64_t end_;
  ProgressCallback progress_;
};

class FileWriter final : public BlobWriter {
 public:
  FileWriter(FileStore* store, std::string key, PutOptions options, StoredHeaders headers,
             TempObject temp)
      : store_(store), key_(std::move(key)), options_(std::move(options)),
        headers_(std::move(headers)), temp_(std::move(temp)) {}

  ~FileWriter() override {
    if (!open_) return;
    // Abandoned without Commit or Abort: remove the temporary file on the
    // pool (the store joins its pool before it goes away).
    FileStore* store = store_;
    asio::post(store_->pool(), [store, temp = std::move(temp_)]() mutable { store->Discard(temp); });
  }

  Awaitable<absl::Status> Write(std::span<const std::byte> data) override {
    if (!open_) co_return Closed();
    if (absl::Status s = CheckDeadline(options_.deadline, store_->clock(), "BlobWriter::Write");
        !s.ok()) {
      co_await Discard();
      co_return s;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
    accepted_ += bytes.size();
    if (buffer_.empty() && bytes.size() >= store_->options().io_chunk_bytes) {
      // Large writes go straight from the caller's buffer.
      COHORT_CO_RETURN_IF_ERROR(co_await Flush(bytes));
    } else {
      buffer_.append(bytes);
      if (buffer_.size() >= store_->options().io_chunk_bytes) {
        COHORT_CO_RETURN_IF_ERROR(co_await Flush(buffer_));
        buffer_.clear();
      }
    }
    if (options_.progress) options_.progress(accepted_, 0);
    co_return absl::OkStatus();
  }

  Awaitable<absl::StatusOr<BlobAttributes>> Commit() override {
    if (!open_) co_return Closed();
    if (absl::Status s = CheckDeadline(options_.deadline, store_->clock(), "BlobWriter::Commit");
        !s.ok()) {
      co_await Discard();
      co_return s;
    }
    if (!buffer_.empty()) {
      COHORT_CO_RETURN_IF_ERROR(co_await Flush(buffer_));
      buffer_.clear();
    }
    open_ = false;
    FileStore* store = store_;
    TempObject* temp = &temp_;
    const std::string* key = &key_;
    const StoredHeaders* headers = &headers_;
    const PutOptions* options = &options_;
    auto job = [store, temp, key, headers, options]() {
      return store->Publish(std::move(*temp), *key, *headers, *options);
    };
    auto op = Offload(store_->pool(), job);
    co_return co_await std::move(op);
  }

  Awaitable<absl::Status> Abort() override {
    if (open_) co_await Discard();
    co_return absl::OkStatus();
  }

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat("the writer for \"", key_, "\" was already committed or aborted"));
  }

  // A failed write leaves the writer unusable: the file is discarded.
  Awaitable<absl::Status> Flush(std::string_view bytes) {
    FileStore* store = store_;
    TempObject* temp = &temp_;
    std::string_view key = key_;
    auto job = [store, temp, bytes, key]() { return store->Append(*temp, bytes, key); };
    auto op = Offload(store_->pool(), job);
    absl::Status status = co_await std::move(op);
    if (!status.ok()) co_await Discard();
    co_return status;
  }

  Awaitable<void> Discard() {
    open_ = false;
    buffer_.clear();
    FileStore* store = store_;
    TempObject* temp = &temp_;
    auto job = [store, temp]() {
      store->Discard(*temp);
      return true;
    };
    auto op = Offload(store_->pool(), job);
    co_await std::move(op);
  }

  FileStore* const store_;
  const std::string key_;
  const PutOptions options_;
  const StoredHeaders headers_;
  TempObject temp_;
  std::string buffer_;
  std::uint64_t accepted_ = 0;
  bool open_ = true;
};

}  // namespace

std::unique_ptr<BlobReader> NewFileReader(FileStore* store, OpenedObject object,
                                          std::uint64_t begin, std::uint64_t end,
                                          ProgressCallback progress) {
  return std::make_unique<FileReader>(store, std::move(object), begin, end, std::move(progress));
}

std::unique_ptr<BlobWriter> NewFileWriter(FileStore* store, std::string key, PutOptions options,
                                          StoredHeaders headers, TempObject temp) {
  return std::make_unique<FileWriter>(store, std::move(key), std::move(options),
                                      std::move(headers), std::move(temp));
}

}  // namespace cohort::blob::internal
