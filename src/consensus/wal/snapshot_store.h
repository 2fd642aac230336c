// Durable snapshots of the state machine: one file per snapshot, written in
// chunks to a temporary name and published atomically (fsync, rename,
// directory fsync), checksummed end to end with CRC32C.
//
//   file    := magic("CHSNAP01") u32 meta_len meta chunk* u32 0
//              u64 data_bytes u32 masked_crc32c(everything before it)
//   chunk   := u32 len (> 0) bytes[len]
//   meta    := varint index, term; 4 x (varint count, varint id*) for
//              voters, learners, voters_outgoing, learners_next; u8 auto_leave
//
// Files are named snap-<index>-<term>.snap (16 hex digits each). Loading picks
// the newest file whose checksum verifies; a damaged newest snapshot falls
// back to an older kept one (logged), so keep at least 2 if the log is
// compacted only up to the older one. Saving a snapshot and then recording
// it in the WAL (Wal::MarkSnapshot) is the order that keeps them consistent.
//
// Thread-safety: the store may be used from any thread; a writer or reader
// object belongs to one thread at a time. Writers and readers must not
// outlive their store.
#ifndef COHORT_SRC_CONSENSUS_WAL_SNAPSHOT_STORE_H_
#define COHORT_SRC_CONSENSUS_WAL_SNAPSHOT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cohort/base/logging.h"
#include "consensus/raft/types.h"
#include "consensus/wal/file_system.h"

namespace cohort::consensus::wal {

struct SnapshotStoreOptions {
  // Directory of the snapshot files; created if missing. Required.
  std::string dir{};
  // Borrowed; must outlive the store. Default: nullptr (must be set).
  FileSystem* fs = nullptr;
  // Snapshots kept after a save (the newest ones). Must be >= 1. Default: 2.
  int retain = 2;
  // Chunks written to the file are at most this long (larger writes are
  // split); reads accept chunks up to 64 MiB. Must be in [1, 64 MiB].
  // Default: 1 MiB.
  std::uint32_t chunk_bytes = 1u << 20;
  // Warnings (a damaged snapshot skipped, leftovers removed). Default: silent.
  LoggerPtr logger{};
};

class SnapshotWriter {
 public:
  // Abandons the snapshot (removes the temporary file) unless committed.
  virtual ~SnapshotWriter() = default;
  // Appends state-machine bytes. I/O errors: kInternal, kResourceExhausted
  // (disk full); the snapshot is then abandoned (start a new one).
  virtual absl::Status Write(std::string_view bytes) = 0;
  // Makes the snapshot durable and visible, then deletes snapshots beyond
  // `retain`. Once it returns OK, record the snapshot in the WAL.
  virtual absl::Status Commit() = 0;
};

class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  virtual const raft::SnapshotMetadata& metadata() const = 0;
  // Total state-machine bytes.
  virtual std::uint64_t size() const = 0;
  // The next chunk of state-machine bytes; an empty string at the end.
  // kDataLoss if the file changed since it was verified.
  virtual absl::StatusOr<std::string> Next() = 0;
};

struct LoadedSnapshot {
  raft::SnapshotMetadata metadata{};
  std::string data{};
};

class SnapshotStore {
 public:
  // kInvalidArgument for bad options; I/O errors as kInternal.
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(const SnapshotStoreOptions& options);
  virtual ~SnapshotStore() = default;

  // Starts writing the snapshot described by `metadata`. kAlreadyExists if a
  // snapshot with the same index and term is already durable.
  virtual absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(
      const raft::SnapshotMetadata& metadata) = 0;

  // The newest snapshot whose checksum verifies, ready to stream.
  //   kNotFound   there is no snapshot (a new node).
  //   kDataLoss   snapshots exist but none verifies; the message names the
  //               damaged files and what to do.
  virtual absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenNewest() = 0;
  // OpenNewest() read into memory.
  virtual absl::StatusOr<LoadedSnapshot> LoadNewest() = 0;
  // Index and term (from the file names; conf_state left empty) of the
  // snapshot files present, newest first, unverified.
  virtual absl::StatusOr<std::vector<raft::SnapshotMetadata>> List() = 0;
};

// The encoding of the metadata block (exposed for the fuzz target and tests).
std::string EncodeSnapshotMetadata(const raft::SnapshotMetadata& metadata);
absl::StatusOr<raft::SnapshotMetadata> DecodeSnapshotMetadata(std::string_view bytes);

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_SNAPSHOT_STORE_H_
