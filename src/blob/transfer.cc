// The transfer manager (transfer.h): UploadFile and DownloadFile on any
// BlobStorage, with S3's multipart fast path.
#include "cohort/blob/transfer.h"

#include <fcntl.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/this_coro.hpp>
#include <asio/thread_pool.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "blob/s3/s3_storage_impl.h"
#include "blob/transfer_files.h"
#include "cohort/base/status.h"

namespace cohort::blob {
namespace {

absl::Status Errno(std::string_view call, const std::string& path) {
  return absl::InternalError(absl::StrCat(absl::string_view(call.data(), call.size()), " ", path,
                                          ": ", std::strerror(errno)));
}

// Streams the file through a BlobWriter (backends without multipart).
Awaitable<absl::StatusOr<BlobAttributes>> UploadThroughWriter(BlobStorage& storage,
                                                              std::string path, std::string key,
                                                              TransferOptions options) {
  if (!options.journal_path.empty()) {
    co_return absl::InvalidArgumentError(
        "journal_path needs a backend with multipart uploads (s3://); leave it empty here");
  }
  COHORT_CO_ASSIGN_OR_RETURN(internal::SourceFile file, internal::OpenSourceFile(path));
  PutOptions put = internal::UploadPutOptions(options);
  COHORT_CO_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer,
                             co_await storage.OpenWriter(key, put));
  asio::thread_pool pool(1);
  for (std::uint64_t offset = 0; offset < file.size;) {
    const std::uint64_t n = std::min(options.part_size, file.size - offset);
    absl::StatusOr<std::string> data =
        co_await internal::ReadFileRange(pool, file.fd.get(), offset, n);
    if (!data.ok()) {
      (void)co_await writer->Abort();
      co_return data.status();
    }
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data->data()),
                                           data->size());
    if (absl::Status s = co_await writer->Write(bytes); !s.ok()) {
      (void)co_await writer->Abort();
      co_return s;
    }
    offset += n;
    if (options.progress) options.progress(offset, file.size);
  }
  absl::StatusOr<BlobAttributes> done = co_await writer->Commit();
  co_return done;
}

// One download's state, shared by its worker coroutines.
struct Download {
  Download(BlobStorage& s, const Executor& executor, int workers)
      : storage(s), finished(executor, static_cast<std::size_t>(workers)) {}
  BlobStorage& storage;
  asio::thread_pool pool{1};
  std::string key;
  std::string etag;
  std::uint64_t size = 0;
  std::uint64_t part_size = 0;
  std::uint64_t next = 0;  // next offset to fetch
  std::uint64_t done = 0;
  int fd = -1;
  TransferOptions options;
  absl::Status failure;
  asio::experimental::channel<void(asio::error_code, std::size_t)> finished;
};

Awaitable<void> DownloadWorker(std::shared_ptr<Download> d) {
  while (d->failure.ok() && d->next < d->size) {
    const std::uint64_t offset = d->next;
    const std::uint64_t n = std::min(d->part_size, d->size - offset);
    d->next += n;
    GetOptions get;
    get.range = ByteRange{offset, n};
    get.if_match = d->etag;
    get.deadline = d->options.deadline;
    absl::StatusOr<std::string> data = co_await d->storage.Get(d->key, get);
    absl::Status status = data.status();
    if (status.ok() && data->size() != n) {
      status = absl::UnavailableError(absl::StrCat("a ranged read of \"", d->key, "\" returned ",
                                                   data->size(), " bytes, expected ", n));
    }
    if (status.ok()) {
      status = co_await internal::WriteFileRange(d->pool, d->fd, offset, *std::move(data));
    }
    if (!status.ok()) {
      if (d->failure.ok()) d->failure = status;
      break;
    }
    d->done += n;
    if (d->options.progress) d->options.progress(d->done, d->size);
  }
  d->finished.try_send(asio::error_code(), std::size_t{0});
}

}  // namespace

Awaitable<absl::StatusOr<BlobAttributes>> UploadFile(BlobStorage& storage, std::string path,
                                                     std::string key, TransferOptions options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateTransferOptions(options));
  if (auto* s3 = dynamic_cast<s3::S3Storage*>(&storage)) {
    absl::StatusOr<BlobAttributes> done =
        co_await s3->UploadFile(std::move(path), std::move(key), std::move(options));
    co_return done;
  }
  absl::StatusOr<BlobAttributes> done =
      co_await UploadThroughWriter(storage, std::move(path), std::move(key), std::move(options));
  co_return done;
}

Awaitable<absl::StatusOr<BlobAttributes>> DownloadFile(BlobStorage& storage, std::string key,
                                                       std::string path, TransferOptions options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateTransferOptions(options));
  if (!options.journal_path.empty()) {
    co_return absl::InvalidArgumentError("journal_path is for uploads; leave it empty");
  }
  COHORT_CO_ASSIGN_OR_RETURN(BlobAttributes attributes, co_await storage.Stat(key));
  const std::string temp = absl::StrCat(path, ".cohort-download");
  internal::Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) co_return Errno("open", temp);
  const int workers = static_cast<int>(std::min<std::uint64_t>(
      options.concurrency,
      std::max<std::uint64_t>(1, (attributes.size + options.part_size - 1) / options.part_size)));
  auto d = std::make_shared<Download>(storage, co_await asio::this_coro::executor, workers);
  d->key = key;
  d->etag = attributes.etag;
  d->size = attributes.size;
  d->part_size = options.part_size;
  d->fd = fd.get();
  d->options = options;
  const Executor executor = co_await asio::this_coro::executor;
  for (int i = 0; i < workers; ++i) asio::co_spawn(executor, DownloadWorker(d), asio::detached);
  for (int i = 0; i < workers; ++i) {
    auto token = asio::experimental::as_tuple(asio::use_awaitable);
    auto [ec, unused] = co_await d->finished.async_receive(token);
    (void)ec;
    (void)unused;
  }
  absl::Status status = d->failure;
  if (status.ok() && ::fsync(fd.get()) != 0) status = Errno("fsync", temp);
  fd.Reset();
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) status = Errno("rename", path);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    co_return status;
  }
  if (attributes.size == 0 && options.progress) options.progress(0, 0);
  co_return attributes;
}

}  // namespace cohort::blob
