// The write-ahead log's in-memory index: for every live entry its term and
// where its record lies on disk, plus a byte-bounded cache of the newest
// entries. Entries outside the cache are read back from their segments by
// the Wal. Not thread-safe (the Wal guards it).
#ifndef COHORT_SRC_CONSENSUS_WAL_LOG_INDEX_H_
#define COHORT_SRC_CONSENSUS_WAL_LOG_INDEX_H_

#include <cstdint>
#include <deque>
#include <optional>

#include "consensus/raft/types.h"

namespace cohort::consensus::wal {

struct RecordLocation {
  std::uint64_t segment_seq = 0;
  std::uint64_t offset = 0;
  std::uint32_t size = 0;
};

// Bytes an entry counts for against the cache limit.
inline std::uint64_t CachedEntryBytes(const raft::Entry& e) { return e.data.size() + 32; }

class LogIndex {
 public:
  explicit LogIndex(std::uint64_t cache_limit_bytes) : cache_limit_(cache_limit_bytes) {}

  // Drops every entry; the log continues after (index, term).
  void Reset(raft::Index index, raft::Term term);

  raft::Index base_index() const { return base_index_; }
  raft::Term base_term() const { return base_term_; }
  raft::Index FirstIndex() const { return base_index_ + 1; }
  raft::Index LastIndex() const { return base_index_ + slots_.size(); }
  raft::Term LastTerm() const { return slots_.empty() ? base_term_ : slots_.back().term; }

  // The term at `index`: the base term at the base index, nullopt outside
  // [base index, last index].
  std::optional<raft::Term> TermAt(raft::Index index) const;

  // Puts `entry` (index in [FirstIndex(), LastIndex() + 1]) at its index,
  // dropping every entry from there on first.
  void Put(const raft::Entry& entry, RecordLocation location);

  // Drops entries <= `index` (in [base index, last index]); the base becomes
  // (index, its term).
  void CompactTo(raft::Index index);

  // Requires FirstIndex() <= index <= LastIndex().
  const RecordLocation& LocationOf(raft::Index index) const { return slots_[index - FirstIndex()].location; }
  // The cached entry at `index`, or nullptr. Valid until the next mutation.
  const raft::Entry* Cached(raft::Index index) const;

  std::uint64_t cached_bytes() const { return cached_bytes_; }
  std::size_t cached_entries() const { return cache_.size(); }

 private:
  struct Slot {
    raft::Term term;
    RecordLocation location;
  };
  void TruncateFrom(raft::Index index);
  void Evict();

  std::uint64_t cache_limit_;
  raft::Index base_index_ = 0;
  raft::Term base_term_ = 0;
  std::deque<Slot> slots_;
  // The newest entries, indexes [LastIndex() - cache_.size() + 1, LastIndex()].
  std::deque<raft::Entry> cache_;
  std::uint64_t cached_bytes_ = 0;
};

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_LOG_INDEX_H_
