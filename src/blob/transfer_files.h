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
