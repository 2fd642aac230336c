#include "blob/transfer_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "blob/offload.h"

namespace cohort::blob::internal {
namespace {

absl::Status FileError(std::string_view call, std::string_view what, int error) {
  std::string message =
      absl::StrCat(absl::string_view(call.data(), call.size()), " ",
                   absl::string_view(what.data(), what.size()), ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::StatusOr<SourceFile> OpenSourceFile(const std::string& path) {
  SourceFile file;
  file.fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.fd.valid()) return FileError("open", path, errno);
  struct stat st {};
  if (::fstat(file.fd.get(), &st) != 0) return FileError("fstat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a regular file"));
  }
  file.size = static_cast<std::uint64_t>(st.st_size);
  file.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return file;
}

absl::Status PreadExactly(int fd, char* dest, std::uint64_t offset, std::uint64_t size) {
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, dest + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError("pread", "of the file to upload", errno);
    }
    if (n == 0) {
      return absl::DataLossError(absl::StrCat("the file to upload ended at ", offset + done,
                                              " bytes, before ", offset + size,
                                              ": it changed during the upload"));
    }
    done += static_cast<std::uint64_t>(n);
  }
  return absl::OkStatus();
}

Fd OpenForDirectReads(const std::string& path, const SourceFile& file) {
  Fd direct(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT));
  if (!direct.valid()) return Fd();
  struct stat opened {}, original {};
  if (::fstat(direct.get(), &opened) != 0 || ::fstat(file.fd.get(), &original) != 0 ||
      opened.st_dev != original.st_dev || opened.st_ino != original.st_ino) {
    return Fd();
  }
  return direct;
}

absl::Status PreadDirect(int direct_fd, int fd, char* dest, std::uint64_t offset,
                         std::uint64_t size) {
  const auto aligned = [](std::uint64_t v) { return v % kDirectReadAlignment == 0; };
  std::uint64_t done = 0;
  if (direct_fd >= 0 && aligned(offset) && aligned(reinterpret_cast<std::uintptr_t>(dest))) {
    const std::uint64_t rounded =
        (size + kDirectReadAlignment - 1) / kDirectReadAlignment * kDirectReadAlignment;
    // Whole blocks come back until the end of the file; anything else (a
    // refusal, a short read mid-file) leaves the rest to the page cache.
    while (done < size && aligned(done)) {
      const ssize_t n = ::pread(direct_fd, dest + done, rounded - done,
                                static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::uint64_t>(n);
    }
    if (done >= size) return absl::OkStatus();
  }
  return PreadExactly(fd, dest + done, offset + done, size - done);
}

Awaitable<absl::StatusOr<std::string>> ReadFileRange(asio::thread_pool& pool, int fd,
                                                     std::uint64_t offset, std::uint64_t size) {
  auto read = [fd, offset, size]() -> absl::StatusOr<std::string> {
    std::string data(size, '\0');
    absl::Status status = PreadExactly(fd, data.data(), offset, size);
    if (!status.ok()) return status;
    return data;
  };
  absl::StatusOr<std::string> data = co_await Offload(pool, std::move(read));
  co_return data;
}

Awaitable<absl::Status> WriteFileRange(asio::thread_pool& pool, int fd, std::uint64_t offset,
                                       std::string data) {
  auto write = [fd, offset, data = std::move(data)]() -> absl::Status {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n =
          ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return FileError("pwrite", "of the downloaded file", errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return absl::OkStatus();
  };
  absl::Status status = co_await Offload(pool, std::move(write));
  co_return status;
}

absl::Status ValidateTransferOptions(const TransferOptions& options) {
  if (options.part_size < 1) return absl::InvalidArgumentError("part_size must be >= 1");
  if (options.concurrency < 1 || options.concurrency > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency must be in [1, 64], got ", options.concurrency));
  }
  return absl::OkStatus();
}

PutOptions UploadPutOptions(const TransferOptions& options) {
  PutOptions put;
  put.content_type = options.content_type;
  put.metadata = options.metadata;
  put.deadline = options.deadline;
  return put;
}

}  // namespace cohort::blob::internal
