#include "blob/file_store.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <system_error>
#include <thread>
#include <string>
#include <utility>

#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "blob/file_format.h"
#include "blob/file_keys.h"
#include "blob/file_walk.h"
#include "blob/strings.h"
#include "cohort/base/status.h"

namespace cohort::blob::internal {
namespace {

// Objects from this size on are hashed on a thread of their own during Put.
constexpr std::size_t kParallelHashBytes = std::size_t{4} << 20;

absl::Status EtagMismatch(std::string_view key, std::string_view want, std::string_view have) {
  return absl::FailedPreconditionError(absl::StrCat("blob \"", Av(key), "\" has ETag ",
                                                    Av(have), ", not the expected ", Av(want)));
}

absl::Status KeyIsDirectory(std::string_view key) {
  return absl::FailedPreconditionError(absl::StrCat(
      "file:// cannot store key \"", Av(key), "\": keys starting with \"", Av(key),
      "/\" exist, and file:// cannot store both \"x\" and \"x/...\""));
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileStore>> FileStore::Open(const std::string& root,
                                                           const FileBlobOptions& options,
                                                           const Context& ctx) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  if (root.empty() || root.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("file:// root must be an absolute path, got \"", root, "\""));
  }
  if (options.io_threads < 1 || options.io_threads > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("io_threads must be in [1, 64], got ", options.io_threads));
  }
  if (options.io_chunk_bytes < 4096 || options.io_chunk_bytes > (std::size_t{64} << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "io_chunk_bytes must be in [4096, 67108864], got ", options.io_chunk_bytes));
  }
  std::string normalized = root;
  while (normalized.size() > 1 && normalized.back() == '/') normalized.pop_back();
  struct stat st;
  if (::stat(normalized.c_str(), &st) != 0 && errno == ENOENT && options.create_root) {
    COHORT_RETURN_IF_ERROR(
        MakeDirectories("", std::string_view(normalized).substr(1), options.sync));
  }
  if (::stat(normalized.c_str(), &st) != 0) return ErrnoStatus(errno, "stat root", normalized);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("file:// root \"", normalized, "\" is not a directory"));
  }
  const std::string lock_path = absl::StrCat(normalized, "/", Av(kLockName));
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.valid()) return ErrnoStatus(errno, "open lock file", lock_path);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "file:// root \"", normalized,
          "\" is already open in another store (in this or another process); share that "
          "store, or close it first"));
    }
    return ErrnoStatus(errno, "flock", lock_path);
  }
  COHORT_ASSIGN_OR_RETURN(const int removed, RemoveTemporaryFiles(normalized));
  if (removed > 0) {
    ctx.LoggerOrNull()->info("file:// {}: removed {} temporary file(s) left by a crashed writer",
                             normalized, removed);
  }
  return std::unique_ptr<FileStore>(new FileStore(normalized, options, ctx, std::move(lock)));
}

FileStore::FileStore(std::string root, const FileBlobOptions& options, const Context& ctx,
                     Fd lock)
    : root_(std::move(root)),
      options_(options),
      clock_(ctx.clock),
      lock_(std::move(lock)),
      random_(ctx.NewRandom("blob/file/temp-names")),
      pool_(static_cast<std::size_t>(options.io_threads)) {}

FileStore::~FileStore() { pool_.join(); }

std::string FileStore::PathOf(std::string_view key) const {
  return absl::StrCat(root_, "/", Av(key));
}

absl::Mutex& FileStore::KeyLock(std::string_view key) {
  return key_locks_[std::hash<std::string_view>()(key) % key_locks_.size()];
}

absl::StatusOr<TempObject> FileStore::CreateTemp(std::string_view key) {
  const std::string_view dir = KeyDirectory(key);
  const std::string dir_path = dir.empty() ? root_ : absl::StrCat(root_, "/", Av(dir));
  // A concurrent Delete may remove the (empty) directory between mkdir and
  // open; the directory is never empty again once our file is in it.
  for (int attempt = 0;; ++attempt) {
    if (!dir.empty()) COHORT_RETURN_IF_ERROR(MakeDirectories(root_, dir, options_.sync));
    std::uint64_t nonce;
    {
      absl::MutexLock lock(&random_mu_);
      nonce = random_.Next64();
    }
    TempObject temp;
    temp.path = absl::StrCat(dir_path, "/", Av(kTempPrefix), absl::Hex(nonce, absl::kZeroPad16));
    temp.fd = Fd(::open(temp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (temp.fd.valid()) return temp;
    if ((errno != ENOENT && errno != EEXIST) || attempt == 16) {
      return ErrnoStatus(errno, "create temporary file", temp.path);
    }
  }
}

absl::Status FileStore::Append(TempObject& temp, std::string_view data, std::string_view key) {
  COHORT_RETURN_IF_ERROR(WriteFull(temp.fd.get(), data.data(), data.size(), key));
  temp.md5.Update(data);
  temp.size += data.size();
  return absl::OkStatus();
}

void FileStore::Discard(TempObject& temp) {
  if (!temp.fd.valid() && temp.path.empty()) return;
  temp.fd.Reset();
  if (!temp.path.empty()) ::unlink(temp.path.c_str());
  temp.path.clear();
}

absl::Status FileStore::MoveIntoPlace(TempObject& temp, std::string_view key,
                                      const PutOptions& conditions) {
  const std::string path = PathOf(key);
  if (conditions.if_match.has_value()) {
    COHORT_ASSIGN_OR_RETURN(OpenedObject current, OpenObject(key));
    if (!EtagMatches(current.attributes.etag, *conditions.if_match)) {
      return EtagMismatch(key, *conditions.if_match, current.attributes.etag);
    }
  }
  if (conditions.if_absent) {
    // link() creates the name only if it does not exist: the atomic
    // create-if-absent that rename() lacks.
    int rc = ::link(temp.path.c_str(), path.c_str());
    bool moved = false;
    if (rc != 0 && (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS)) {
      // A file system without hard links: renameat2's RENAME_NOREPLACE is
      // the same atomic create-if-absent.
      rc = ::renameat2(AT_FDCWD, temp.path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
      moved = rc == 0;
    }
    if (rc != 0) {
      if (errno == EEXIST) {
        struct stat st;
        if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return KeyIsDirectory(key);
        return absl::AlreadyExistsError(absl::StrCat("blob \"", Av(key), "\" already exists"));
      }
      return ErrnoStatus(errno, "link", key);
    }
    if (!moved) ::unlink(temp.path.c_str());
    temp.path.clear();
    return absl::OkStatus();
  }
  for (int attempt = 0;; ++attempt) {
    if (::rename(temp.path.c_str(), path.c_str()) == 0) break;
    // An empty directory left where the object goes (all of its keys were
    // deleted) may be removed; a non-empty one is a real conflict.
    if ((errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) && attempt == 0 &&
        ::rmdir(path.c_str()) == 0) {
      continue;
    }
    if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) return KeyIsDirectory(key);
    return ErrnoStatus(errno, "rename", key);
  }
  temp.path.clear();
  return absl::OkStatus();
}

absl::StatusOr<BlobAttributes> FileStore::Publish(TempObject temp, std::string_view key,
                                                  const StoredHeaders& headers,
                                                  const PutOptions& conditions) {
  BlobAttributes attributes;
  attributes.key = std::string(key);
  attributes.size = temp.size;
  attributes.etag = temp.known_etag.empty() ? temp.md5.HexDigest() : temp.known_etag;
  attributes.content_type = headers.content_type;
  attributes.metadata = headers.metadata;
  attributes.modified = clock_->Now();
  const std::string trailer = EncodeTrailer(attributes);
  absl::Status status = WriteFull(temp.fd.get(), trailer.data(), trailer.size(), key);
  if (status.ok() && options_.sync && ::fsync(temp.fd.get()) != 0) {
    status = ErrnoStatus(errno, "fsync", key);
  }
  if (status.ok()) {
    absl::MutexLock lock(&KeyLock(key));
    status = MoveIntoPlace(temp, key, conditions);
  }
  if (!status.ok()) {
    Discard(temp);
    return status;
  }
  temp.fd.Reset();
  if (options_.sync) {
    const std::string_view dir = KeyDirectory(key);
    COHORT_RETURN_IF_ERROR(
        SyncDirectory(dir.empty() ? root_ : absl::StrCat(root_, "/", Av(dir))));
  }
  return attributes;
}

absl::StatusOr<BlobAttributes> FileStore::PutAll(std::string_view key, std::string_view data,
                                                 const StoredHeaders& headers,
                                                 const PutOptions& options) {
  COHORT_ASSIGN_OR_RETURN(TempObject temp, CreateTemp(key));
  absl::Status status;
  std::optional<std::thread> hasher;
  if (data.size() >= kParallelHashBytes) {
    // MD5 runs at well under disk speed; for large objects it runs on its own
    // thread while this one writes and (in Publish) fsyncs the same bytes.
    try {
      hasher.emplace([&temp, data] { temp.known_etag = Md5Hex(data); });
    } catch (const std::system_error&) {
      // No thread to spare: hash inline below.
    }
  }
  if (hasher.has_value()) {
    status = WriteFull(temp.fd.get(), data.data(), data.size(), key);
    temp.size = data.size();
    if (status.ok() && options_.sync && ::fsync(temp.fd.get()) != 0) {
      status = ErrnoStatus(errno, "fsync", key);
    }
    hasher->join();
  } else {
    status = Append(temp, data, key);
  }
  if (!status.ok()) {
    Discard(temp);
    return status;
  }
  return Publish(std::move(temp), key, headers, options);
}

absl::StatusOr<OpenedObject> FileStore::OpenObject(std::string_view key) {
  const std::string path = PathOf(key);
  OpenedObject object;
  object.fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!object.fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("no blob with key \"", Av(key), "\""));
    }
    return ErrnoStatus(errno, "open", key);
  }
  struct stat st;
  if (::fstat(object.fd.get(), &st) != 0) return ErrnoStatus(errno, "fstat", key);
  if (S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("no blob with key \"", Av(key), "\""));
  }
  COHORT_ASSIGN_OR_RETURN(object.attributes, ReadTrailer(object.fd.get(), key));
  return object;
}

absl::StatusOr<std::string> FileStore::ReadRange(int fd, std::uint64_t begin, std::uint64_t end,
                                                 std::string_view key) {
  std::string out(end - begin, '\0');
  COHORT_RETURN_IF_ERROR(PreadFull(fd, out.data(), out.size(), begin, key));
  return out;
}

absl::Status FileStore::Delete(std::string_view key) {
  {
    absl::MutexLock lock(&KeyLock(key));
    const std::string path = PathOf(key);
    if (::unlink(path.c_str()) != 0) {
      // Missing, or a directory of other keys: either way no such object.
      if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return absl::OkStatus();
      return ErrnoStatus(errno, "unlink", key);
    }
  }
  std::string_view dir = KeyDirectory(key);
  if (options_.sync) {
    COHORT_RETURN_IF_ERROR(
        SyncDirectory(dir.empty() ? root_ : absl::StrCat(root_, "/", Av(dir))));
  }
  // Prune directories the deletion emptied (best effort: rmdir refuses a
  // directory that a concurrent writer just put a file into).
  while (!dir.empty()) {
    if (::rmdir(absl::StrCat(root_, "/", Av(dir)).c_str()) != 0) break;
    dir = KeyDirectory(dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<ListPage> FileStore::List(ListAccumulator acc) {
  return WalkForList(root_, std::move(acc),
                     [this](const std::string& key) -> absl::StatusOr<BlobAttributes> {
                       COHORT_ASSIGN_OR_RETURN(OpenedObject object, OpenObject(key));
                       return std::move(object.attributes);
                     });
}

absl::Status FileStore::CopyContent(int from_fd, std::uint64_t size, TempObject& temp,
                                    std::string_view key) {
  loff_t in_offset = 0;
  while (static_cast<std::uint64_t>(in_offset) < size) {
    const std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>(size - static_cast<std::uint64_t>(in_offset), 1u << 30));
    const ssize_t n = ::copy_file_range(from_fd, &in_offset, temp.fd.get(), nullptr, want, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return absl::DataLossError(absl::StrCat("source of copy to \"", Av(key), "\" ended early"));
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
      return ErrnoStatus(errno, "copy_file_range", key);
    }
    // The file system cannot copy in the kernel: copy through a buffer.
    std::string buffer(options_.io_chunk_bytes, '\0');
    while (static_cast<std::uint64_t>(in_offset) < size) {
      const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(
          buffer.size(), size - static_cast<std::uint64_t>(in_offset)));
      COHORT_RETURN_IF_ERROR(PreadFull(from_fd, buffer.data(), chunk,
                                       static_cast<std::uint64_t>(in_offset), key));
      COHORT_RETURN_IF_ERROR(WriteFull(temp.fd.get(), buffer.data(), chunk, key));
      in_offset += static_cast<loff_t>(chunk);
    }
  }
  temp.size = size;
  return absl::OkStatus();
}

absl::StatusOr<BlobAttributes> FileStore::Copy(std::string_view from, std::string_view to,
                                               const PutOptions& options) {
  // The source stays readable through its descriptor even if it is replaced
  // or deleted meanwhile: the copy is of one version.
  COHORT_ASSIGN_OR_RETURN(OpenedObject source, OpenObject(from));
  COHORT_ASSIGN_OR_RETURN(TempObject temp, CreateTemp(to));
  if (absl::Status s = CopyContent(source.fd.get(), source.attributes.size, temp, to); !s.ok()) {
    Discard(temp);
    return s;
  }
  temp.known_etag = source.attributes.etag;
  StoredHeaders headers{source.attributes.content_type, source.attributes.metadata};
  return Publish(std::move(temp), to, headers, options);
}

}  // namespace cohort::blob::internal
