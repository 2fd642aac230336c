// The embedded backends: mem:// and file://. blob::Open creates them from a
// URI; these factories expose their options.
#ifndef COHORT_BLOB_LOCAL_H_
#define COHORT_BLOB_LOCAL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cohort/base/context.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob {

// A new, empty in-memory store (mem://). Every call returns an independent
// store: two stores never share objects, whatever their names; share the
// BlobStorage object itself to share data. `name` labels it in messages.
//
// ETags are the hex MD5 of the content (as S3 gives for single-part
// uploads). Operations complete without suspending on the caller's thread;
// `ctx.clock` (required, borrowed, must outlive the store) stamps modification
// times and checks deadlines. Thread-safe. kInvalidArgument for a bad Context.
absl::StatusOr<std::unique_ptr<BlobStorage>> NewMemoryBlobStorage(const Context& ctx,
                                                                  std::string name = "");

struct FileBlobOptions {
  // Threads that run the blocking file I/O (open, read, write, fsync,
  // rename, directory walks), so that the caller's executor never blocks on
  // the disk. Each call resumes on the awaiting coroutine's executor.
  // 1 to 64. Default: 2.
  int io_threads = 2;
  // Create the root directory (and its parents) when missing. Default: true.
  bool create_root = true;
  // fsync the object file before, and its directory after, the rename that
  // publishes it, so that an acknowledged write survives a power loss. Turn
  // off only for scratch data. Default: true.
  bool sync = true;
  // Size of each read and write system call of a streaming transfer, 4 KiB
  // to 64 MiB. Default: 1 MiB.
  std::size_t io_chunk_bytes = std::size_t{1} << 20;
};

// Opens (creating if allowed) a store of objects as files under the absolute
// directory `root` (file://). See docs/blob.md for the on-disk format and its
// crash guarantees. Takes an exclusive advisory lock on the root (released
// when the store is destroyed or the process dies) and removes temporary
// files left by a crashed writer.
//
// Returns kInvalidArgument for bad options, a relative root or a bad Context;
// kFailedPrecondition when the root is not a directory or is locked by
// another open store (in this or another process); kPermissionDenied or
// kUnavailable when the file system refuses (errno in the message).
absl::StatusOr<std::unique_ptr<BlobStorage>> OpenFileBlobStorage(const std::string& root,
                                                                 const FileBlobOptions& options,
                                                                 const Context& ctx);

}  // namespace cohort::blob

#endif  // COHORT_BLOB_LOCAL_H_
