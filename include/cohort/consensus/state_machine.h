// StateMachine: the user's replicated state, driven by a ConsensusLog.
//
// Every replica applies the same committed commands in the same order, so
// every replica's state machine must be deterministic: its state after
// applying entries 1..n depends only on those entries (no clocks, no
// randomness, no reading of outside state while applying).
//
// Threading: the ConsensusLog calls Apply/ApplyBatch, Snapshot and Restore
// from one thread at a time (its apply thread), never concurrently with each
// other. SnapshotWriter::WriteTo runs on another thread, concurrently with
// later Apply calls, so Snapshot() must capture a view that later applies do
// not change (a copy, a persistent data structure, or a storage snapshot).
// Reads serving clients may run concurrently with Apply; the state machine
// synchronises them itself.
#ifndef COHORT_CONSENSUS_STATE_MACHINE_H_
#define COHORT_CONSENSUS_STATE_MACHINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::consensus {

// A committed command.
struct LogEntry {
  // Position in the log, from 1, without gaps.
  std::uint64_t index = 0;
  // The leader's term when the entry was proposed.
  std::uint64_t term = 0;
  // The command as proposed. Valid during the call only.
  std::string_view command;
};

// Where a snapshot's bytes go. Implemented by the ConsensusLog.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `data`. An error aborts the snapshot; return it from WriteTo.
  virtual absl::Status Append(std::string_view data) = 0;
};

// Where a snapshot's bytes come from. Implemented by the ConsensusLog.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `buffer.size()` bytes; returns the count, 0 at the end.
  virtual absl::StatusOr<std::size_t> Read(std::span<char> buffer) = 0;
};

// A point-in-time view of the state, written out off the apply thread.
class SnapshotWriter {
 public:
  virtual ~SnapshotWriter() = default;
  // Writes the captured state to `sink`. Called once.
  virtual absl::Status WriteTo(ByteSink& sink) = 0;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies one committed command and returns its result, which the proposer
  // receives from ConsensusLog::Propose. A non-OK result is a deterministic
  // outcome of the command (a failed compare-and-swap), delivered to the
  // proposer like a value; it does not stop the replica. Must not block on
  // I/O that other replicas do not see.
  virtual absl::StatusOr<std::string> Apply(const LogEntry& entry) = 0;

  // Applies consecutive entries; `results` has the same size as `entries`.
  // Override to amortise per-entry costs (one storage transaction per batch).
  // Default: calls Apply for each entry.
  virtual void ApplyBatch(std::span<const LogEntry> entries,
                          std::span<absl::StatusOr<std::string>> results) {
    for (std::size_t i = 0; i < entries.size(); ++i) results[i] = Apply(entries[i]);
  }

  // Captures the state as of the last applied entry, cheaply: the returned
  // writer does the slow part on another thread.
  virtual absl::StatusOr<std::unique_ptr<SnapshotWriter>> Snapshot() = 0;

  // Replaces the whole state with the snapshot read from `source` (written
  // by some replica's SnapshotWriter). On error the replica stops rather than
  // run with a partial state.
  virtual absl::Status Restore(ByteSource& source) = 0;
};

}  // namespace cohort::consensus

#endif  // COHORT_CONSENSUS_STATE_MACHINE_H_
