// FileSystem over POSIX calls. Every error names the call and the path, since
// an operator reading "Input/output error" needs to know which disk failed.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "consensus/wal/file_system.h"

namespace cohort::consensus::wal {
namespace {

absl::Status ErrnoStatus(int err, std::string_view call, std::string_view path) {
  std::string msg = absl::StrCat(std::string(call), " ", std::string(path), ": ",
                                 std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { (void)Close(); }

  absl::Status PWrite(std::uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pwrite", path_);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status Append(std::string_view data) override {
    auto size = Size();
    if (!size.ok()) return size.status();
    return PWrite(*size, data);
  }

  absl::Status PRead(std::uint64_t offset, std::size_t n, std::string* out) override {
    out->resize(n);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t r =
          ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pread", path_);
      }
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    out->resize(done);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, "fsync", path_);
    return absl::OkStatus();
  }

  absl::Status DataSync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync", path_);
    return absl::OkStatus();
  }

  absl::Status Fallocate(std::uint64_t size) override {
    const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (err == 0) return absl::OkStatus();
    if (err != EOPNOTSUPP && err != EINVAL) return ErrnoStatus(err, "posix_fallocate", path_);
    // File systems without fallocate (tmpfs on old kernels): extend with a
    // sparse tail instead; the bytes still read as zeros.
    auto current = Size();
    if (!current.ok()) return current.status();
    if (*current >= size) return absl::OkStatus();
    return Truncate(size);
  }

  absl::Status Truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus(errno, "ftruncate", path_);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::uint64_t> Size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "fstat", path_);
    return static_cast<std::uint64_t>(st.st_size);
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus(errno, "close", path_);
    return absl::OkStatus();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    int flags = O_RDWR | O_CLOEXEC;
    if (mode != OpenMode::kExisting) flags |= O_CREAT;
    if (mode == OpenMode::kCreateTruncate) flags |= O_TRUNC;
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open", path);
    return std::unique_ptr<File>(std::make_unique<PosixFile>(fd, path));
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus(errno, "rename", absl::StrCat(from, " -> ", to));
    }
    return absl::OkStatus();
  }

  absl::Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> List(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus(errno, "opendir", dir);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::Status CreateDir(const std::string& dir) override {
    std::string prefix;
    for (std::size_t pos = 0; pos != std::string::npos;) {
      const std::size_t next = dir.find('/', pos + 1);
      prefix = dir.substr(0, next);
      pos = next;
      if (prefix.empty() || prefix == "/") continue;
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno, "mkdir", prefix);
      }
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open", dir);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus(err, "fsync", dir);
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<FileSystem> NewPosixFileSystem() { return std::make_unique<PosixFileSystem>(); }

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (!path.empty() && path.back() != '/') path.push_back('/');
  path.append(name);
  return path;
}

std::string ParentDir(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

absl::Status CreateDurableDir(FileSystem& fs, const std::string& dir) {
  if (absl::Status s = fs.CreateDir(dir); !s.ok()) return s;
  return fs.SyncDir(ParentDir(dir));
}

absl::StatusOr<std::string> ReadWholeFile(FileSystem& fs, const std::string& path) {
  auto file = fs.Open(path, OpenMode::kExisting);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string out;
  if (auto s = (*file)->PRead(0, *size, &out); !s.ok()) return s;
  return out;
}

}  // namespace cohort::consensus::wal
