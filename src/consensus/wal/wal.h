// The Raft write-ahead log: entries, hard state and snapshot markers in
// checksummed records across preallocated segment files.
//
// Durability contract: when Append() returns OK, every record of the batch
// (entries and hard state) has been written and fdatasync'ed; a crash at any
// later point keeps it. A crash during Append() keeps a prefix of the batch
// (possibly none of it): Open() then keeps exactly the intact prefix and cuts
// the torn record. Damage anywhere else (a bad record followed by good ones,
// or in any segment but the last) is kDataLoss naming the file and offset:
// something other than a crash destroyed acknowledged data, and guessing
// would break Raft's safety.
//
// Truncating a conflicting suffix is logical: entries written from index i
// replace every entry >= i, on disk by being later in the log, so it costs
// one append and is atomic with the batch. Compact() deletes whole segments
// that hold only entries covered by a durable snapshot, oldest first.
//
// Thread-safety: every method may be called from any thread. Mutations
// (Append, MarkSnapshot, Compact, Close) are serialised; reads (TermAt,
// Entries, ...) never wait for a sync in progress. Reads see a batch only
// once it is durable.
//
// After an I/O error in a mutation the log refuses further mutations (with
// that error): after a failed fsync the kernel may have dropped the dirty
// pages, so retrying could acknowledge data that is not on disk. Close and
// Open again to recover from what is durable.
#ifndef COHORT_SRC_CONSENSUS_WAL_WAL_H_
#define COHORT_SRC_CONSENSUS_WAL_WAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cohort/base/logging.h"
#include "consensus/raft/types.h"
#include "consensus/wal/file_system.h"
#include "consensus/wal/record.h"

namespace cohort::consensus::wal {

struct WalOptions {
  // Directory of the segment files; created if missing. Required.
  std::string dir{};
  // Identity written into every segment; Open() refuses a directory written
  // with other ids. Both must be non-zero. Default: 0 (must be set).
  std::uint64_t cluster_id = 0;
  std::uint64_t node_id = 0;
  // Borrowed; must outlive the Wal. Default: nullptr (must be set; use
  // NewPosixFileSystem()).
  FileSystem* fs = nullptr;
  // A segment is rolled over once the next batch would not fit in it (a
  // batch larger than a segment gets a segment of its own). Must be at
  // least 4096. Default: 64 MiB.
  std::uint64_t segment_bytes = 64ull << 20;
  // fallocate each new segment to segment_bytes, so that appends do not
  // change the file size and fdatasync need not write metadata.
  // Default: true.
  bool preallocate = true;
  // Bytes ahead of the tail overwritten with zeros, in the same sync as the
  // batch that crosses into them, so that later appends land on blocks the
  // file system has already written. Fallocated space alone is not enough:
  // on ext4 and XFS a write into it converts an "unwritten" extent, and that
  // costs a journal commit inside every fdatasync. Zeroing a stretch once
  // per zero_ahead_bytes of log makes the common sync a data-only flush
  // (measured: three logs on one disk, 256-byte appends, about 1.2x the
  // syncs/s; docs/BENCHMARKS.md). Capped at segment_bytes. 0 disables.
  // Default: 1 MiB.
  std::uint64_t zero_ahead_bytes = 1ull << 20;
  // Largest record payload (an entry's data plus about 20 bytes). Larger
  // entries are rejected with kInvalidArgument; larger lengths on disk are
  // corruption. Must be in [64, 1 GiB]. Default: 16 MiB.
  std::uint32_t max_record_bytes = 16u << 20;
  // Bytes of the newest entries kept in memory; older ones are read back
  // from the segments. 0 disables the cache. Default: 64 MiB.
  std::uint64_t entry_cache_bytes = 64ull << 20;
  // Warnings (torn tail repaired, stale files removed). Default: silent.
  LoggerPtr logger{};
};

// Entries and hard state made durable together by one Append().
struct WalBatch {
  // Consecutive indexes; the first must be in (snapshot index, last index + 1].
  // Starting at or below the last index overwrites the suffix from there,
  // which must lie above the durable commit index.
  std::vector<raft::Entry> entries{};
  std::optional<raft::HardState> hard_state{};
};

class Wal {
 public:
  // Opens (or creates) the log in options.dir and recovers it. Statuses:
  //   kInvalidArgument     bad options; the message says which.
  //   kFailedPrecondition  the directory belongs to another cluster or node,
  //                        or was written by a newer format; the message
  //                        says what to do. Retrying cannot help.
  //   kDataLoss            corruption that is not a torn tail (file and
  //                        offset in the message); the node must not start
  //                        from this directory.
  //   kInternal, kResourceExhausted  I/O errors (retry after fixing the disk).
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const WalOptions& options);

  virtual ~Wal() = default;

  // Writes the batch and fdatasyncs once (group commit: put many proposals
  // in one batch). kInvalidArgument for entries that are not consecutive,
  // that start outside (snapshot index, last index + 1], overwrite a
  // committed index, or exceed max_record_bytes (nothing is written); I/O
  // errors as in Open (the log then refuses further writes).
  virtual absl::Status Append(const WalBatch& batch) = 0;

  // Records that a snapshot up to (index, term) is durable in the snapshot
  // store (save it there first). Entries <= index leave the index; if the log
  // does not hold (index, term) the whole log is replaced by the snapshot.
  // Synced before it returns. kInvalidArgument if older than the current
  // snapshot marker.
  virtual absl::Status MarkSnapshot(const SnapshotMarker& marker) = 0;

  // Deletes segments whose entries are all covered by the snapshot marker.
  // Crash-safe at every step. Returns the number of segments deleted.
  virtual absl::StatusOr<int> Compact() = 0;

  // The recovered (then latest appended) state.
  virtual raft::HardState hard_state() const = 0;
  virtual SnapshotMarker snapshot() const = 0;
  virtual raft::Index FirstIndex() const = 0;
  virtual raft::Index LastIndex() const = 0;
  // Term at `index`; the snapshot term at the snapshot index; nullopt
  // outside [snapshot index, last index].
  virtual std::optional<raft::Term> TermAt(raft::Index index) const = 0;
  // Entries [lo, hi] whose data totals at most `max_bytes`, but at least one.
  // kOutOfRange unless FirstIndex() <= lo <= hi <= LastIndex(); kDataLoss if
  // a record read back from disk is damaged; kInternal on I/O errors.
  virtual absl::StatusOr<std::vector<raft::Entry>> Entries(raft::Index lo, raft::Index hi,
                                                           std::uint64_t max_bytes) const = 0;

  struct Stats {
    std::uint64_t segments = 0;
    std::uint64_t syncs = 0;
    std::uint64_t cached_entries = 0;
    std::uint64_t cached_bytes = 0;
    std::uint64_t disk_reads = 0;
  };
  virtual Stats GetStats() const = 0;

  // Stops accepting mutations and releases the files. Does not sync (every
  // acknowledged write already is). Idempotent.
  virtual absl::Status Close() = 0;
};

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_WAL_H_
