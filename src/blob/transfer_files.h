// Local-file helpers of the transfer manager (transfer.h): the source file of
// an upload, ranged reads and writes on a transfer's own thread, and the
// validation of TransferOptions.
#ifndef COHORT_SRC_BLOB_TRANSFER_FILES_H_
#define COHORT_SRC_BLOB_TRANSFER_FILES_H_

#include <asio/thread_pool.hpp>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "blob/file_io.h"
#include "cohort/base/async.h"
#include "cohort/blob/blob_storage.h"
#include "cohort/blob/transfer.h"

namespace cohort::blob::internal {

struct SourceFile {
  Fd fd{};
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// kNotFound when missing; kInternal (with errno) for other failures.
absl::StatusOr<SourceFile> OpenSourceFile(const std::string& path);

// Reads `size` bytes at `offset` of `fd` into `dest`, on the calling thread
// (kInternal, or kDataLoss when the file is shorter than expected: it changed
// during the upload).
absl::Status PreadExactly(int fd, char* dest, std::uint64_t offset, std::uint64_t size);

// Direct reads (O_DIRECT) move a file's bytes from the device into the
// caller's memory without the page cache: no copy through it, and a file read
// once does not evict what the service keeps cached. They need memory and
// file offsets aligned to kDirectReadAlignment and whole blocks.
inline constexpr std::uint64_t kDirectReadAlignment = 4096;

// A second descriptor of `file` (opened from `path`) for direct reads, or an
// invalid Fd when the file system refuses them or `path` no longer names the
// same file: callers then read through the page cache.
Fd OpenForDirectReads(const std::string& path, const SourceFile& file);

// As PreadExactly, through `direct_fd` (OpenForDirectReads) when `dest` and
// `offset` are aligned to kDirectReadAlignment; `dest` must then have room
// up to the next multiple of it past `size` (the read is rounded up; the
// file's end cuts it short). Whatever cannot be read directly (alignment,
// a file system refusing the read) is read through `fd`.
absl::Status PreadDirect(int direct_fd, int fd, char* dest, std::uint64_t offset,
                         std::uint64_t size);

// `size` bytes at `offset` of `fd`, read on `pool` (kInternal, or kDataLoss
// when the file is shorter than expected: it changed during the upload).
Awaitable<absl::StatusOr<std::string>> ReadFileRange(asio::thread_pool& pool, int fd,
                                                     std::uint64_t offset, std::uint64_t size);
// Writes `data` at `offset` of `fd` on `pool`.
Awaitable<absl::Status> WriteFileRange(asio::thread_pool& pool, int fd, std::uint64_t offset,
                                       std::string data);

// kInvalidArgument naming the field. Part size limits of S3 are checked by
// the S3 backend.
absl::Status ValidateTransferOptions(const TransferOptions& options);

// The PutOptions an upload with `options` stands for.
PutOptions UploadPutOptions(const TransferOptions& options);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_TRANSFER_FILES_H_
