// The blocking half of the file:// backend: every method performs file
// system calls and must run on the store's thread pool, never on a caller's
// executor (FileBlobStorage arranges that). Thread-safe.
//
// Publishing protocol (why a crash never exposes a partial object):
//   1. content and trailer (file_format.h) are written to a temporary file
//      ".cohort-tmp-<random>" in the object's own directory;
//   2. the temporary file is fsynced;
//   3. under the key's lock, conditions are checked and the file is moved
//      into place: rename() (unconditional, if_match) or link() (if_absent,
//      which fails atomically with EEXIST if the key exists);
//   4. the directory is fsynced.
// Until step 3 the object is invisible (reserved names are never keys and are
// skipped by List); after it, the complete object with its attributes is
// visible. Temporary files orphaned by a crash are removed when the store
// opens; the root's lock file guarantees that no other store is writing them.
#ifndef COHORT_SRC_BLOB_FILE_STORE_H_
#define COHORT_SRC_BLOB_FILE_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/thread_pool.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "blob/digest.h"
#include "blob/file_io.h"
#include "blob/listing.h"
#include "blob/validation.h"
#include "cohort/base/context.h"
#include "cohort/base/random.h"
#include "cohort/blob/blob_storage.h"
#include "cohort/blob/local.h"

namespace cohort::blob::internal {

// A temporary file that will become an object.
struct TempObject {
  Fd fd;
  std::string path;
  std::uint64_t size = 0;
  Md5Hasher md5;
  // When set, the ETag to record instead of the MD5 of what was appended
  // (Copy already knows it).
  std::string known_etag;
};

struct OpenedObject {
  Fd fd;
  BlobAttributes attributes;
};

class FileStore {
 public:
  static absl::StatusOr<std::unique_ptr<FileStore>> Open(const std::string& root,
                                                         const FileBlobOptions& options,
                                                         const Context& ctx);
  // Waits for queued work (e.g. discarding abandoned writers' files).
  ~FileStore();

  asio::thread_pool& pool() { return pool_; }
  const Clock& clock() const { return *clock_; }
  const FileBlobOptions& options() const { return options_; }
  const std::string& root() const { return root_; }

  // `key` must already be valid (ValidateFileKey).
  absl::StatusOr<TempObject> CreateTemp(std::string_view key);
  absl::Status Append(TempObject& temp, std::string_view data, std::string_view key);
  // Finishes and publishes `temp` as `key`; on failure the file is removed.
  absl::StatusOr<BlobAttributes> Publish(TempObject temp, std::string_view key,
                                         const StoredHeaders& headers,
                                         const PutOptions& conditions);
  void Discard(TempObject& temp);

  absl::StatusOr<BlobAttributes> PutAll(std::string_view key, std::string_view data,
                                        const StoredHeaders& headers, const PutOptions& options);
  absl::StatusOr<OpenedObject> OpenObject(std::string_view key);
  absl::StatusOr<std::string> ReadRange(int fd, std::uint64_t begin, std::uint64_t end,
                                        std::string_view key);
  absl::Status Delete(std::string_view key);
  absl::StatusOr<ListPage> List(ListAccumulator acc);
  absl::StatusOr<BlobAttributes> Copy(std::string_view from, std::string_view to,
                                      const PutOptions& options);

 private:
  FileStore(std::string root, const FileBlobOptions& options, const Context& ctx, Fd lock);
  std::string PathOf(std::string_view key) const;
  absl::Mutex& KeyLock(std::string_view key);
  absl::Status MoveIntoPlace(TempObject& temp, std::string_view key, const PutOptions& conditions)
      ABSL_NO_THREAD_SAFETY_ANALYSIS;  // called with KeyLock(key) held
  absl::Status CopyContent(int from_fd, std::uint64_t size, TempObject& temp, std::string_view key);

  const std::string root_;
  const FileBlobOptions options_;
  Clock* const clock_;
  Fd lock_;
  absl::Mutex random_mu_;
  Random random_ ABSL_GUARDED_BY(random_mu_);
  // Striped per-key locks: every mutation of a key holds its stripe while it
  // checks conditions and moves the file into place.
  std::array<absl::Mutex, 64> key_locks_;
  asio::thread_pool pool_;
};

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_FILE_STORE_H_
