// POSIX file helpers for the file:// backend: every system call's failure
// becomes a status that names the call, the object and errno.
#ifndef COHORT_SRC_BLOB_FILE_IO_H_
#define COHORT_SRC_BLOB_FILE_IO_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace cohort::blob::internal {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

// ENOENT -> kNotFound, EACCES/EPERM/EROFS -> kPermissionDenied,
// ENOSPC/EDQUOT -> kResourceExhausted, others -> kUnavailable.
absl::Status ErrnoStatus(int err, std::string_view call, std::string_view what);

absl::Status PreadFull(int fd, char* buffer, std::size_t size, std::uint64_t offset,
                       std::string_view what);
absl::Status WriteFull(int fd, const char* data, std::size_t size, std::string_view what);
// fsync of the directory at `path`, so that entries created, renamed or
// removed in it survive a power loss.
absl::Status SyncDirectory(const std::string& path);
// Creates `path` and missing parents below `base` (which must exist),
// syncing each parent whose entries changed when `sync`. kFailedPrecondition
// when a component exists and is not a directory.
absl::Status MakeDirectories(const std::string& base, std::string_view relative, bool sync);

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_FILE_IO_H_
