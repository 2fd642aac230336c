// An in-memory FileSystem that remembers what has been made durable, for
// crash tests of the write-ahead log and the snapshot store.
//
// Model (conservative, closer to what POSIX promises than to what ext4 gives):
// - A file's bytes become durable only through Sync()/DataSync() of that file.
// - Creating, renaming and unlinking a name become durable only through
//   SyncDir() of its directory; fsync of a file does not persist its name.
//   Directories themselves (CreateDir) are durable at once.
// - Crash() is a power loss and reboot: every file keeps its synced bytes
//   plus, depending on the mode, nothing, or a seeded random prefix of its
//   unsynced writes (the last kept write possibly torn at any byte); every
//   directory keeps its synced names plus nothing, a random prefix or a
//   random subset (reordering) of its unsynced metadata operations. Handles
//   opened before the crash fail with kFailedPrecondition afterwards.
// - Faults: any counted call can be made to fail (EIO as kInternal, ENOSPC as
//   kResourceExhausted, or any status), and CrashAtCall(n) freezes the file
//   system just before call n (that call and every later one fail and change
//   nothing) so that a test can enumerate every crash point of an operation.
//
// Counted calls ("steps"): Open with a create mode, PWrite, Append, Sync,
// DataSync, Fallocate, Truncate, Rename, Unlink, SyncDir. Reads, Size, List,
// Close, CreateDir and Open(kExisting) are not counted and cannot fail.
//
// Renames must stay within one directory. Thread-safe. The file system must
// outlive the files it opened.
#ifndef COHORT_SRC_CONSENSUS_WAL_FAULT_FILE_SYSTEM_H_
#define COHORT_SRC_CONSENSUS_WAL_FAULT_FILE_SYSTEM_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cohort/base/clock.h"
#include "consensus/wal/file_system.h"

namespace cohort::consensus::wal {

enum class CrashMode {
  // Only synced data and synced names survive.
  kDropUnsynced,
  // Each file keeps a random prefix of its unsynced writes (the last one
  // possibly torn); each directory a random prefix of its unsynced
  // create/rename/unlink operations.
  kKeepRandomPrefix,
  // As kKeepRandomPrefix for data, but each directory keeps a random subset
  // of its unsynced metadata operations, applied in order: the disk persisted
  // them out of order and lost the rest.
  kReorderMetadata,
};

enum class FsOp { kOpen, kPWrite, kAppend, kSync, kDataSync, kFallocate, kTruncate, kRename,
                  kUnlink, kSyncDir };

class FaultFileSystem final : public FileSystem {
 public:
  FaultFileSystem();
  ~FaultFileSystem() override;

  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Unlink(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> List(const std::string& dir) override;
  absl::Status CreateDir(const std::string& dir) override;
  absl::Status SyncDir(const std::string& dir) override;

  // Counted calls made since construction (or the last Crash()).
  std::uint64_t steps() const;
  // Freezes the file system just before counted call `step` (0-based, counting
  // from construction or the last Crash()).
  void CrashAtCall(std::uint64_t step);
  // Counted call `step` fails once with `status` and changes nothing.
  void FailCall(std::uint64_t step, absl::Status status);
  // The next `times` calls of kind `op` whose path contains `path_part` fail
  // with `status` (times < 0: until cleared with ClearFaults()).
  void FailOp(FsOp op, std::string path_part, absl::Status status, int times = 1);
  void ClearFaults();
  // Runs `hook` (outside the lock) at every Sync/DataSync/SyncDir, e.g. to make
  // syncs slow on a simulated clock. Empty: no hook.
  void SetSyncHook(std::function<void(const std::string& path)> hook);
  // Every sync blocks `clock` for `delay` (clock must outlive this object).
  void SetSyncDelay(Clock* clock, absl::Duration delay);

  // Power loss and reboot (see the header comment). Clears CrashAtCall,
  // FailCall and the step count; FailOp faults stay.
  void Crash(CrashMode mode, std::uint64_t seed);

  // Test access to the current (not necessarily durable) state.
  bool Exists(const std::string& path) const;
  absl::StatusOr<std::string> Contents(const std::string& path) const;
  // Replaces the contents, durably (for corrupting files between runs).
  absl::Status SetContents(const std::string& path, std::string data);
  // Bytes written by unsynced writes, over all files.
  std::uint64_t UnsyncedBytes() const;

  struct Inode;
  struct Dir;
  // Used by the files this object opens.
  absl::Status BeforeStep(FsOp op, const std::string& path, std::uint64_t generation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Mutex& mu() const ABSL_LOCK_RETURNED(mu_) { return mu_; }
  void RunSyncHook(const std::string& path);

 private:
  absl::Status BeforeStepLocked(FsOp op, const std::string& path, std::uint64_t generation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Dir& DirOf(const std::string& path, std::string* name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Dir* FindDirOf(const std::string& path, std::string* name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct OpFault {
    FsOp op;
    std::string path_part;
    absl::Status status;
    int times;
  };

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Dir>> dirs_ ABSL_GUARDED_BY(mu_);
  std::uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t steps_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<std::uint64_t> crash_at_ ABSL_GUARDED_BY(mu_);
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::uint64_t, absl::Status> call_faults_ ABSL_GUARDED_BY(mu_);
  std::vector<OpFault> op_faults_ ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&)> sync_hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_FAULT_FILE_SYSTEM_H_
