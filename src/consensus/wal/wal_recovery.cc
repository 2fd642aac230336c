// Open(): find the segments, replay them, repair a torn tail, and refuse
// anything that is not explained by a crash.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "consensus/wal/wal_impl.h"

namespace cohort::consensus::wal {
namespace {

absl::Status Corrupt(const std::string& path, std::uint64_t offset, std::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "write-ahead log corrupt: ", path, " at offset ", offset, ": ", std::string(what),
      ". This is not a torn write from a crash; the node must not start from this data. "
      "Restore the directory from a backup, or remove this member and add it back empty "
      "so that it catches up from the leader"));
}

}  // namespace

absl::Status WalImpl::CheckHeader(const std::string& path, std::uint64_t seq,
                                  const SegmentHeader& h, bool first) {
  if (h.cluster_id != options_.cluster_id || h.node_id != options_.node_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "write-ahead log directory ", options_.dir, " belongs to cluster ", h.cluster_id,
        " node ", h.node_id, " (", path, "), but this node is cluster ", options_.cluster_id,
        " node ", options_.node_id,
        ". Point the node at its own data directory, or move this directory away to start "
        "as a new, empty member"));
  }
  if (h.format_version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has WAL format version ", h.format_version, "; this build reads version ",
        kFormatVersion, ". Run a cohort release that supports it"));
  }
  if (h.segment_seq != seq) {
    return Corrupt(path, 0, absl::StrCat("header names segment ", h.segment_seq));
  }
  if (first) {
    index_.Reset(h.prev_last_index, h.prev_last_term);
    base_provisional_ = h.prev_last_index > 0;
  } else if (h.prev_last_index != index_.LastIndex() || h.prev_last_term != index_.LastTerm()) {
    return Corrupt(path, 0, absl::StrCat("segment continues the log after index ", h.prev_last_index,
                                         " (term ", h.prev_last_term, ") but the segments before it end at ",
                                         index_.LastIndex(), " (term ", index_.LastTerm(),
                                         "): a segment is missing"));
  }
  return absl::OkStatus();
}

absl::Status WalImpl::ReplayRecords(std::uint64_t seq, const std::string& path,
                                    const SegmentScan& scan) {
  Segment& segment = segments_[seq];
  for (std::size_t i = 1; i < scan.records.size(); ++i) {
    const ScannedRecord& r = scan.records[i];
    switch (r.type) {
      case RecordType::kHeader:
        return Corrupt(path, r.offset, "a second segment header");
      case RecordType::kEntry: {
        auto e = DecodeEntry(r.payload);
        if (!e.ok()) return Corrupt(path, r.offset, e.status().message().data());
        if (e->index <= index_.base_index() && base_provisional_) {
          index_.Reset(e->index - 1, 0);
        }
        if (e->index <= index_.base_index() || e->index > index_.LastIndex() + 1) {
          return Corrupt(path, r.offset, absl::StrCat("entry ", e->index, " does not fit a log of [",
                                                      index_.FirstIndex(), ", ", index_.LastIndex(), "]"));
        }
        index_.Put(*e, RecordLocation{seq, r.offset, r.size});
        segment.max_entry_index = std::max(segment.max_entry_index, e->index);
        break;
      }
      case RecordType::kHardState: {
        auto hs = DecodeHardState(r.payload);
        if (!hs.ok()) return Corrupt(path, r.offset, hs.status().message().data());
        hard_state_ = *hs;
        break;
      }
      case RecordType::kSnapshot: {
        auto m = DecodeSnapshotMarker(r.payload);
        if (!m.ok()) return Corrupt(path, r.offset, m.status().message().data());
        ApplyMarker(*m);
        if (index_.base_index() == snapshot_.index) base_provisional_ = false;
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WalImpl::ReplaySegment(std::uint64_t seq, bool first, bool last, bool* torn_header) {
  const std::string path = PathOf(seq);
  COHORT_ASSIGN_OR_RETURN(const std::string data, ReadWholeFile(*options_.fs, path));
  const SegmentScan scan = ScanSegment(data, options_.max_record_bytes);
  if (!scan.clean && (!last || scan.valid_record_after_bad)) {
    return Corrupt(path, scan.bad_offset,
                   absl::StrCat(scan.bad_reason, last ? " and valid records follow it"
                                                      : " in a segment that is not the last"));
  }
  if (scan.records.empty() || scan.records[0].type != RecordType::kHeader) {
    // A segment is renamed into place only after its header is synced, so
    // only the last segment can lack one, and only if its file was cut.
    if (!last || !scan.records.empty()) return Corrupt(path, 0, "the segment does not start with a header");
    *torn_header = true;
    return absl::OkStatus();
  }
  auto header = DecodeHeader(scan.records[0].payload);
  if (!header.ok()) return Corrupt(path, 0, header.status().message().data());
  COHORT_RETURN_IF_ERROR(CheckHeader(path, seq, *header, first));
  COHORT_RETURN_IF_ERROR(ReplayRecords(seq, path, scan));
  if (!last) return absl::OkStatus();

  COHORT_ASSIGN_OR_RETURN(tail_, options_.fs->Open(path, OpenMode::kExisting));
  tail_seq_ = seq;
  tail_offset_ = scan.valid_end;
  tail_fresh_offset_ = 0;
  tail_zeroed_end_ = 0;
  if (!scan.clean) {
    Warn(absl::StrCat("torn tail in ", path, " at offset ", scan.bad_offset, " (", scan.bad_reason,
                      "): cut ", scan.dirty_end - scan.valid_end, " bytes of an unfinished write"));
    // Zero the torn bytes so that later appends, if cut short by another
    // crash, are not followed by stale fragments.
    COHORT_RETURN_IF_ERROR(tail_->PWrite(scan.valid_end, std::string(scan.dirty_end - scan.valid_end, '\0')));
    COHORT_RETURN_IF_ERROR(tail_->DataSync());
  }
  return absl::OkStatus();
}

absl::Status WalImpl::Recover() {
  absl::MutexLock write_lock(&write_mu_);
  absl::MutexLock lock(&mu_);
  FileSystem& fs = *options_.fs;
  COHORT_RETURN_IF_ERROR(CreateDurableDir(fs, options_.dir));
  COHORT_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs.List(options_.dir));
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> leftovers;
  for (const std::string& name : names) {
    if (auto seq = ParseSegmentName(name)) {
      seqs.push_back(*seq);
    } else if (IsSegmentTempName(name)) {
      leftovers.push_back(name);
    }
  }
  std::sort(seqs.begin(), seqs.end());
  // Only the contiguous run ending at the newest segment is the log; older
  // segments before a gap are leftovers of a compaction whose unlinks were
  // persisted out of order (checked below: the run must not need them).
  std::size_t run_start = seqs.size();
  if (!seqs.empty()) {
    run_start = seqs.size() - 1;
    while (run_start > 0 && seqs[run_start - 1] + 1 == seqs[run_start]) --run_start;
  }
  for (std::size_t i = 0; i < run_start; ++i) leftovers.push_back(SegmentName(seqs[i]));

  std::uint64_t next_seq = seqs.empty() ? 1 : seqs.back() + 1;
  bool torn_header = false;
  for (std::size_t i = run_start; i < seqs.size(); ++i) {
    const bool last = i + 1 == seqs.size();
    COHORT_RETURN_IF_ERROR(ReplaySegment(seqs[i], i == run_start, last, &torn_header));
  }
  if (torn_header) {
    const std::string path = PathOf(seqs.back());
    if (segments_.empty() && run_start > 0) {
      // Nothing left to continue from but older, non-contiguous segments:
      // starting empty would silently drop them.
      return Corrupt(path, 0, "the newest segment has no intact header and the older segments "
                              "are not contiguous with it");
    }
    Warn(absl::StrCat(path, " was cut inside its header; removing it"));
    segments_.erase(seqs.back());
    COHORT_RETURN_IF_ERROR(fs.Unlink(path));
    if (!segments_.empty()) {
      // The previous segment becomes the tail again.
      const std::uint64_t prev = segments_.rbegin()->first;
      COHORT_ASSIGN_OR_RETURN(const std::string data, ReadWholeFile(fs, PathOf(prev)));
      tail_offset_ = ScanSegment(data, options_.max_record_bytes).valid_end;
      COHORT_ASSIGN_OR_RETURN(tail_, fs.Open(PathOf(prev), OpenMode::kExisting));
      tail_seq_ = prev;
      tail_fresh_offset_ = 0;
      tail_zeroed_end_ = 0;
    }
  }
  // Every replayed log starts right after its snapshot (index 0 for a log
  // never compacted); a later start means segments in between are gone.
  if (index_.base_index() != snapshot_.index) {
    return absl::DataLossError(absl::StrCat(
        "write-ahead log in ", options_.dir, " starts after index ", index_.base_index(),
        " but the newest snapshot marker covers only up to ", snapshot_.index,
        ": the segments holding entries ", snapshot_.index + 1, "..", index_.base_index(),
        " are missing. Restore the directory from a backup, or remove this member and add it "
        "back empty"));
  }
  for (const std::string& name : leftovers) {
    Warn(absl::StrCat("removing ", name, " (left over from an interrupted rollover or compaction)"));
    COHORT_RETURN_IF_ERROR(fs.Unlink(JoinPath(options_.dir, name)));
  }
  if (!leftovers.empty() || torn_header) COHORT_RETURN_IF_ERROR(fs.SyncDir(options_.dir));
  if (segments_.empty()) {
    mu_.Unlock();
    absl::Status s = StartSegment(next_seq);
    mu_.Lock();
    COHORT_RETURN_IF_ERROR(s);
  }
  return absl::OkStatus();
}

}  // namespace cohort::consensus::wal
