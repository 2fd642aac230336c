// Segment rollover and compaction: the two multi-step file-system operations
// of the log, each ordered so that a crash between any two calls leaves a
// directory that Open() recovers without losing an acknowledged record.
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "consensus/wal/wal_impl.h"

namespace cohort::consensus::wal {

// 1. write wal-<seq>.tmp: preamble (header, hard state, snapshot marker) in
//    preallocated space, then the first zero_ahead_bytes of zeros; fsync. A crash here leaves a .tmp that Open deletes.
// 2. rename to wal-<seq>.log; fsync the directory. A crash between the two
//    leaves the new segment or not; either way its contents are durable and
//    it holds nothing that is not also implied by the segments before it.
// 3. only then write records into it, so no acknowledged record depends on a
//    name that is not yet durable.
absl::Status WalImpl::StartSegment(std::uint64_t seq) {
  SegmentHeader header;
  header.cluster_id = options_.cluster_id;
  header.node_id = options_.node_id;
  header.segment_seq = seq;
  std::string preamble;
  {
    absl::MutexLock lock(&mu_);
    header.prev_last_index = index_.LastIndex();
    header.prev_last_term = index_.LastTerm();
    AppendRecord(RecordType::kHeader, EncodeHeader(header), &preamble);
    AppendRecord(RecordType::kHardState, EncodeHardState(hard_state_), &preamble);
    AppendRecord(RecordType::kSnapshot, EncodeSnapshotMarker(snapshot_), &preamble);
  }
  const std::string tmp = JoinPath(options_.dir, SegmentTempName(seq));
  const std::string path = PathOf(seq);
  auto file = options_.fs->Open(tmp, OpenMode::kCreateTruncate);
  if (!file.ok()) return Fail(file.status());
  if (options_.preallocate) {
    if (auto s = (*file)->Fallocate(options_.segment_bytes); !s.ok()) return Fail(s);
  }
  if (auto s = (*file)->PWrite(0, preamble); !s.ok()) return Fail(s);
  std::uint64_t zeroed_end = 0;
  if (auto s = ZeroAhead(**file, preamble.size(), &zeroed_end); !s.ok()) return Fail(s);
  if (auto s = (*file)->Sync(); !s.ok()) return Fail(s);
  (void)(*file)->Close();
  if (auto s = options_.fs->Rename(tmp, path); !s.ok()) return Fail(s);
  if (auto s = options_.fs->SyncDir(options_.dir); !s.ok()) return Fail(s);
  auto tail = options_.fs->Open(path, OpenMode::kExisting);
  if (!tail.ok()) return Fail(tail.status());
  if (tail_) (void)tail_->Close();
  tail_ = std::move(*tail);
  tail_zeroed_end_ = zeroed_end;
  tail_seq_ = seq;
  tail_offset_ = preamble.size();
  tail_fresh_offset_ = tail_offset_;
  absl::MutexLock lock(&mu_);
  segments_[seq] = Segment{};
  stats_.syncs += 2;
  return absl::OkStatus();
}

// Oldest first, so that a crash leaves a contiguous suffix of segments, or
// (if the directory reordered the unlinks) a suffix plus older leftovers
// separated by a gap, which Open recognises and removes.
absl::StatusOr<int> WalImpl::Compact() {
  absl::MutexLock write_lock(&write_mu_);
  COHORT_RETURN_IF_ERROR(CheckWritable());
  int deleted = 0;
  while (true) {
    std::uint64_t seq = 0;
    {
      absl::MutexLock lock(&mu_);
      if (segments_.empty()) break;
      auto it = segments_.begin();
      if (it->first == tail_seq_ || it->second.max_entry_index > snapshot_.index) break;
      seq = it->first;
    }
    // Not sticky: a failed unlink loses nothing; the next Compact retries.
    COHORT_RETURN_IF_ERROR(options_.fs->Unlink(PathOf(seq)));
    absl::MutexLock lock(&mu_);
    readers_.erase(seq);
    segments_.erase(seq);
    ++deleted;
  }
  if (deleted > 0) COHORT_RETURN_IF_ERROR(options_.fs->SyncDir(options_.dir));
  return deleted;
}

}  // namespace cohort::consensus::wal
