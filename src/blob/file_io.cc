#include "blob/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "blob/strings.h"

namespace cohort::blob::internal {

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status ErrnoStatus(int err, std::string_view call, std::string_view what) {
  const std::string message =
      absl::StrCat("file:// ", Av(call), " of \"", Av(what), "\": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

absl::Status PreadFull(int fd, char* buffer, std::size_t size, std::uint64_t offset,
                       std::string_view what) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, buffer, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", what);
    }
    if (n == 0) {
      return absl::DataLossError(
          absl::StrCat("file:// object \"", Av(what), "\" ended early (truncated file)"));
    }
    buffer += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return absl::OkStatus();
}

absl::Status WriteFull(int fd, const char* data, std::size_t size, std::string_view what) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", what);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& path) {
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus(errno, "open directory", path);
  if (::fsync(dir.get()) != 0) return ErrnoStatus(errno, "fsync directory", path);
  return absl::OkStatus();
}

absl::Status MakeDirectories(const std::string& base, std::string_view relative, bool sync) {
  std::string path = base;
  std::size_t start = 0;
  while (start < relative.size()) {
    std::size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    const std::string parent = path.empty() ? "/" : path;
    absl::StrAppend(&path, "/", Av(relative.substr(start, end - start)));
    if (::mkdir(path.c_str(), 0755) == 0) {
      if (sync) {
        if (absl::Status s = SyncDirectory(parent); !s.ok()) return s;
      }
    } else if (errno != EEXIST) {
      if (errno == ENOTDIR) {
        return absl::FailedPreconditionError(absl::StrCat(
            "file:// cannot create directory \"", path, "\": a parent is an object"));
      }
      return ErrnoStatus(errno, "mkdir", path);
    } else {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "file:// cannot create directory \"", path,
            "\": a file of that name exists (file:// cannot store both \"x\" and \"x/...\")"));
      }
    }
    start = end + 1;
  }
  return absl::OkStatus();
}

}  // namespace cohort::blob::internal
