// The file-system seam under the write-ahead log and the snapshot store.
//
// Every durable byte goes through these two interfaces, so that tests can swap
// the POSIX implementation for FaultFileSystem (fault_file_system.h), which
// keeps unsynced writes apart from synced ones and can "crash", fail chosen
// calls or make syncs slow. The interface is the small set of calls whose
// ordering decides crash safety: data writes, fsync/fdatasync, and the
// directory operations (create, rename, unlink) that only a directory fsync
// makes durable.
//
// Paths are plain strings joined with '/'. Errors: kNotFound (no such file),
// kResourceExhausted (ENOSPC), kInternal (EIO and other I/O failures: the
// caller cannot know what reached the disk, so the log refuses further writes),
// kFailedPrecondition (a handle used after its file system crashed).
#ifndef COHORT_SRC_CONSENSUS_WAL_FILE_SYSTEM_H_
#define COHORT_SRC_CONSENSUS_WAL_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::consensus::wal {

// An open file. Not thread-safe: one owner at a time (the log's writer
// thread); distinct File objects may be used concurrently.
class File {
 public:
  virtual ~File() = default;

  // Writes `data` at `offset`, extending the file (with zeros in any gap) if
  // needed. Not durable until Sync()/DataSync().
  virtual absl::Status PWrite(std::uint64_t offset, std::string_view data) = 0;
  // Writes `data` at the current end of the file.
  virtual absl::Status Append(std::string_view data) = 0;
  // Reads up to `n` bytes at `offset` into `out` (replacing its contents);
  // fewer at the end of the file, none past it.
  virtual absl::Status PRead(std::uint64_t offset, std::size_t n, std::string* out) = 0;
  // fsync: data and metadata of this file (not its directory entry).
  virtual absl::Status Sync() = 0;
  // fdatasync: data and the metadata needed to read it back (the size).
  virtual absl::Status DataSync() = 0;
  // Reserves space so that the file is at least `size` bytes; the new bytes
  // read as zeros. Not durable until synced.
  virtual absl::Status Fallocate(std::uint64_t size) = 0;
  // Sets the size to `size` (cutting or zero-extending). Not durable until
  // synced.
  virtual absl::Status Truncate(std::uint64_t size) = 0;
  virtual absl::StatusOr<std::uint64_t> Size() = 0;
  // Releases the handle. Does not sync. Idempotent; the destructor closes too.
  virtual absl::Status Close() = 0;
};

enum class OpenMode {
  // Open an existing file for reading and writing; kNotFound if absent.
  kExisting,
  // Create the file if absent (a directory operation: durable only after
  // SyncDir), keeping existing contents.
  kCreate,
  // Create the file, or cut an existing one to zero bytes.
  kCreateTruncate,
};

// Thread-safe: every method may be called concurrently.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Atomically replaces `to` with `from`. Durable after SyncDir of the
  // directory.
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes the name. Durable after SyncDir.
  virtual absl::Status Unlink(const std::string& path) = 0;
  // The names (not paths) of the entries of `dir`, sorted, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> List(const std::string& dir) = 0;
  // Creates `dir` and missing parents; OK if it exists.
  virtual absl::Status CreateDir(const std::string& dir) = 0;
  // fsync of the directory: makes creates, renames and unlinks in it durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

// The operating system's file system. The returned object holds no state;
// any number may coexist.
std::unique_ptr<FileSystem> NewPosixFileSystem();

// "dir/name".
std::string JoinPath(std::string_view dir, std::string_view name);

// The directory holding `path` ("." for a bare name).
std::string ParentDir(std::string_view path);

// Creates `dir` (and missing parents) and fsyncs its parent, so that the
// directory itself survives a crash before anything in it is acknowledged.
absl::Status CreateDurableDir(FileSystem& fs, const std::string& dir);

// Reads the whole file at `path`.
absl::StatusOr<std::string> ReadWholeFile(FileSystem& fs, const std::string& path);

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_FILE_SYSTEM_H_
