// The core's in-memory view of the log: entries (snapshot index, last index]
// plus the (index, term) of the snapshot that precedes them. Not durable: the
// driver's write-ahead log holds the durable copy, fed from Ready::entries.
// The driver bounds memory by compacting (Core::Compact) past a threshold.
#ifndef COHORT_SRC_CONSENSUS_RAFT_RAFT_LOG_H_
#define COHORT_SRC_CONSENSUS_RAFT_RAFT_LOG_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "consensus/raft/types.h"

namespace cohort::consensus::raft {

class RaftLog {
 public:
  RaftLog() = default;

  // Drops every entry; the log continues after (index, term).
  void Reset(Index index, Term term);

  Index SnapshotIndex() const { return snapshot_index_; }
  Term SnapshotTerm() const { return snapshot_term_; }
  Index FirstIndex() const { return snapshot_index_ + 1; }
  Index LastIndex() const { return snapshot_index_ + entries_.size(); }
  Term LastTerm() const;

  // The term of entry `index`; the snapshot's term at the snapshot index;
  // nullopt outside [snapshot index, last index].
  std::optional<Term> TermAt(Index index) const;
  bool MatchTerm(Index index, Term term) const;

  // Requires FirstIndex() <= index <= LastIndex().
  const Entry& At(Index index) const { return entries_[index - snapshot_index_ - 1]; }

  // Whether a log ending at (last_term, last_index) is at least as
  // up-to-date as this one (Raft §5.4.1).
  bool IsUpToDate(Index last_index, Term last_term) const;

  // Appends `entries` (consecutive) whose first index is in
  // [FirstIndex(), LastIndex() + 1], first dropping the suffix from that
  // index. Returns the first index that was (re)written.
  Index TruncateAndAppend(std::vector<Entry> entries);

  // The index of the first entry of `entries` (consecutive, starting after a
  // matched prefix) that is not already in the log with the same term, or 0.
  Index FindConflict(const std::vector<Entry>& entries) const;

  // The largest index <= `index` whose term is <= `term` (fast backtracking
  // hint), at least SnapshotIndex().
  Index FindConflictByTerm(Index index, Term term) const;

  // Entries [lo, hi] with total data size at most `max_bytes`, but always at
  // least one. Requires FirstIndex() <= lo <= hi <= LastIndex().
  std::vector<Entry> Slice(Index lo, Index hi, std::uint64_t max_bytes) const;

  // Drops entries <= `index` (which must be in [SnapshotIndex(), LastIndex()]).
  void CompactTo(Index index);

 private:
  Index snapshot_index_ = 0;
  Term snapshot_term_ = 0;
  std::deque<Entry> entries_;
};

// The size an entry counts for against byte limits.
inline std::uint64_t EntryBytes(const Entry& e) { return e.data.size() + 16; }

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_RAFT_LOG_H_
