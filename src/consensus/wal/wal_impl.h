// The Wal implementation, split over wal.cc (append, reads), wal_recovery.cc
// (Open) and wal_segments.cc (rollover, compaction).
//
// Lock order: write_mu_ before mu_. write_mu_ serialises mutations and owns
// the tail file; mu_ guards what readers see, which is updated only after a
// batch is durable.
#ifndef COHORT_SRC_CONSENSUS_WAL_WAL_IMPL_H_
#define COHORT_SRC_CONSENSUS_WAL_WAL_IMPL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "consensus/wal/log_index.h"
#include "consensus/wal/segment.h"
#include "consensus/wal/wal.h"

namespace cohort::consensus::wal {

class WalImpl final : public Wal {
 public:
  explicit WalImpl(WalOptions options);
  ~WalImpl() override;

  absl::Status Recover();

  absl::Status Append(const WalBatch& batch) override;
  absl::Status MarkSnapshot(const SnapshotMarker& marker) override;
  absl::StatusOr<int> Compact() override;
  raft::HardState hard_state() const override;
  SnapshotMarker snapshot() const override;
  raft::Index FirstIndex() const override;
  raft::Index LastIndex() const override;
  std::optional<raft::Term> TermAt(raft::Index index) const override;
  absl::StatusOr<std::vector<raft::Entry>> Entries(raft::Index lo, raft::Index hi,
                                                   std::uint64_t max_bytes) const override;
  Stats GetStats() const override;
  absl::Status Close() override;

 private:
  struct Segment {
    // The highest entry index ever written to the segment (0: none), live or
    // since overwritten: the segment may go once the snapshot passes it.
    raft::Index max_entry_index = 0;
  };

  // Creates segment `seq` (temp file, preallocate, preamble, fsync, rename,
  // directory fsync) and makes it the tail.
  absl::Status StartSegment(std::uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes `bytes` at the tail and fdatasyncs.
  absl::Status WriteTail(std::string_view bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Records the first I/O failure; every later mutation returns it.
  absl::Status Fail(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Applies a snapshot marker to the index (compact or replace).
  void ApplyMarker(const SnapshotMarker& marker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReplaySegment(std::uint64_t seq, bool first, bool last, bool* torn_header)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_, mu_);
  absl::Status ReplayRecords(std::uint64_t seq, const std::string& path, const SegmentScan& scan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckHeader(const std::string& path, std::uint64_t seq, const SegmentHeader& header,
                           bool first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<raft::Entry> ReadEntry(raft::Index index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string PathOf(std::uint64_t seq) const { return JoinPath(options_.dir, SegmentName(seq)); }
  void Warn(const std::string& message) const;
  // Writes zeros to `file` from `end` (the end of its records, or of the
  // stretch already zeroed, if further) up to zero_ahead_bytes past `end`,
  // within segment_bytes, once `end` has passed *zeroed_end; advances
  // *zeroed_end. Not synced: the caller's next sync covers it.
  absl::Status ZeroAhead(File& file, std::uint64_t end, std::uint64_t* zeroed_end) const;

  const WalOptions options_;

  absl::Mutex write_mu_;
  std::unique_ptr<File> tail_ ABSL_GUARDED_BY(write_mu_);
  std::uint64_t tail_seq_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::uint64_t tail_offset_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The tail offset right after a new segment's preamble (0 if unknown): a
  // tail still there takes an oversized batch instead of rolling over again.
  std::uint64_t tail_fresh_offset_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The tail segment is known to hold written zeros (or records) below this
  // offset; see WalOptions::zero_ahead_bytes.
  std::uint64_t tail_zeroed_end_ ABSL_GUARDED_BY(write_mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(write_mu_);
  bool closed_ ABSL_GUARDED_BY(write_mu_) = false;

  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  LogIndex index_ ABSL_GUARDED_BY(mu_);
  raft::HardState hard_state_ ABSL_GUARDED_BY(mu_);
  SnapshotMarker snapshot_ ABSL_GUARDED_BY(mu_);
  std::map<std::uint64_t, Segment> segments_ ABSL_GUARDED_BY(mu_);
  // Read handles of segments, opened on demand.
  mutable std::map<std::uint64_t, std::unique_ptr<File>> readers_ ABSL_GUARDED_BY(mu_);
  mutable Stats stats_ ABSL_GUARDED_BY(mu_);
  // Recovery: the index base came from the first segment's header, not from
  // a snapshot marker. Entries before it were in segments that compaction
  // removed, so a snapshot marker later in the log must cover it; until one
  // does, an overwrite from below it (a conflicting suffix written before the
  // snapshot) moves it down.
  bool base_provisional_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_WAL_IMPL_H_
