#include "consensus/wal/wal.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "consensus/wal/wal_impl.h"

namespace cohort::consensus::wal {
namespace {

absl::Status ValidateOptions(const WalOptions& o) {
  if (o.dir.empty()) return absl::InvalidArgumentError("WalOptions.dir must be set");
  if (o.fs == nullptr) {
    return absl::InvalidArgumentError("WalOptions.fs must be set (use NewPosixFileSystem())");
  }
  if (o.cluster_id == 0 || o.node_id == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WalOptions.cluster_id and node_id must be non-zero, got ", o.cluster_id, " and ", o.node_id));
  }
  if (o.segment_bytes < 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("WalOptions.segment_bytes must be at least 4096, got ", o.segment_bytes));
  }
  if (o.max_record_bytes < 64 || o.max_record_bytes > (1u << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WalOptions.max_record_bytes must be in [64, 1073741824], got ", o.max_record_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options) {
  COHORT_RETURN_IF_ERROR(ValidateOptions(options));
  auto wal = std::make_unique<WalImpl>(options);
  COHORT_RETURN_IF_ERROR(wal->Recover());
  return std::unique_ptr<Wal>(std::move(wal));
}

WalImpl::WalImpl(WalOptions options)
    : options_(std::move(options)), index_(options_.entry_cache_bytes) {}

WalImpl::~WalImpl() { (void)Close(); }

void WalImpl::Warn(const std::string& message) const {
  if (options_.logger) options_.logger->warn("wal {}: {}", options_.dir, message);
}

absl::Status WalImpl::Fail(absl::Status status) {
  if (failed_.ok()) {
    failed_ = Annotate(status, "write-ahead log stopped after an I/O error; reopen it");
  }
  return status;
}

absl::Status WalImpl::CheckWritable() const {
  if (closed_) return absl::FailedPreconditionError("write-ahead log is closed");
  return failed_;
}

absl::Status WalImpl::ZeroAhead(File& file, std::uint64_t end, std::uint64_t* zeroed_end) const {
  if (options_.zero_ahead_bytes == 0 || end <= *zeroed_end) return absl::OkStatus();
  constexpr std::uint64_t kPage = 4096;
  const std::uint64_t target =
      std::min(options_.segment_bytes, (end + kPage - 1) / kPage * kPage + options_.zero_ahead_bytes);
  static constexpr char kZeros[64 << 10] = {};
  for (std::uint64_t at = end; at < target;) {
    const std::uint64_t n = std::min<std::uint64_t>(sizeof(kZeros), target - at);
    COHORT_RETURN_IF_ERROR(file.PWrite(at, std::string_view(kZeros, n)));
    at += n;
  }
  *zeroed_end = std::max(end, target);
  return absl::OkStatus();
}

absl::Status WalImpl::WriteTail(std::string_view bytes) {
  if (auto s = tail_->PWrite(tail_offset_, bytes); !s.ok()) return Fail(s);
  if (auto s = ZeroAhead(*tail_, tail_offset_ + bytes.size(), &tail_zeroed_end_); !s.ok()) {
    return Fail(s);
  }
  if (auto s = tail_->DataSync(); !s.ok()) return Fail(s);
  tail_offset_ += bytes.size();
  absl::MutexLock lock(&mu_);
  ++stats_.syncs;
  return absl::OkStatus();
}

absl::Status WalImpl::Append(const WalBatch& batch) {
  absl::MutexLock write_lock(&write_mu_);
  COHORT_RETURN_IF_ERROR(CheckWritable());
  if (batch.entries.empty() && !batch.hard_state) return absl::OkStatus();
  {
    absl::MutexLock lock(&mu_);
    if (!batch.entries.empty()) {
      const raft::Index first = batch.entries.front().index;
      if (first <= index_.base_index() || first > index_.LastIndex() + 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "WAL append must start in [", index_.FirstIndex(), ", ", index_.LastIndex() + 1,
            "], got index ", first));
      }
      if (first <= index_.LastIndex() && first <= hard_state_.commit) {
        return absl::InvalidArgumentError(absl::StrCat(
            "WAL append from index ", first, " would overwrite committed entries (commit index ",
            hard_state_.commit, ")"));
      }
      for (std::size_t i = 1; i < batch.entries.size(); ++i) {
        if (batch.entries[i].index != first + i) {
          return absl::InvalidArgumentError(absl::StrCat(
              "WAL append entries must be consecutive: index ", batch.entries[i].index,
              " follows ", batch.entries[i - 1].index));
        }
      }
    }
  }
  std::string buf;
  std::vector<RecordLocation> locations;
  locations.reserve(batch.entries.size());
  for (const raft::Entry& e : batch.entries) {
    if (e.data.size() + 32 > options_.max_record_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entry ", e.index, " has ", e.data.size(), " bytes of data; the WAL record limit is ",
          options_.max_record_bytes, " bytes (WalOptions.max_record_bytes)"));
    }
    const std::uint64_t offset = buf.size();
    AppendRecord(RecordType::kEntry, EncodeEntry(e), &buf);
    locations.push_back(RecordLocation{0, offset, static_cast<std::uint32_t>(buf.size() - offset)});
  }
  // After the entries: a torn batch that kept the hard state kept them too.
  if (batch.hard_state) AppendRecord(RecordType::kHardState, EncodeHardState(*batch.hard_state), &buf);

  if (tail_offset_ + buf.size() > options_.segment_bytes && tail_offset_ != tail_fresh_offset_) {
    COHORT_RETURN_IF_ERROR(StartSegment(tail_seq_ + 1));
  }
  const std::uint64_t base = tail_offset_;
  COHORT_RETURN_IF_ERROR(WriteTail(buf));

  absl::MutexLock lock(&mu_);
  for (std::size_t i = 0; i < batch.entries.size(); ++i) {
    const raft::Entry& e = batch.entries[i];
    RecordLocation loc = locations[i];
    loc.segment_seq = tail_seq_;
    loc.offset += base;
    index_.Put(e, loc);
    auto& seg = segments_[tail_seq_];
    seg.max_entry_index = std::max(seg.max_entry_index, e.index);
  }
  if (batch.hard_state) hard_state_ = *batch.hard_state;
  return absl::OkStatus();
}

void WalImpl::ApplyMarker(const SnapshotMarker& marker) {
  if (marker.index > index_.base_index()) {
    if (index_.TermAt(marker.index) == marker.term) {
      index_.CompactTo(marker.index);
    } else {
      index_.Reset(marker.index, marker.term);
    }
  }
  if (marker.index >= snapshot_.index) snapshot_ = marker;
}

absl::Status WalImpl::MarkSnapshot(const SnapshotMarker& marker) {
  absl::MutexLock write_lock(&write_mu_);
  COHORT_RETURN_IF_ERROR(CheckWritable());
  {
    absl::MutexLock lock(&mu_);
    if (marker.index < snapshot_.index) {
      return absl::InvalidArgumentError(absl::StrCat("snapshot marker at index ", marker.index,
                                                      " is older than the current one at ",
                                                      snapshot_.index));
    }
  }
  std::string buf;
  AppendRecord(RecordType::kSnapshot, EncodeSnapshotMarker(marker), &buf);
  COHORT_RETURN_IF_ERROR(WriteTail(buf));
  absl::MutexLock lock(&mu_);
  ApplyMarker(marker);
  return absl::OkStatus();
}

raft::HardState WalImpl::hard_state() const {
  absl::MutexLock lock(&mu_);
  return hard_state_;
}

SnapshotMarker WalImpl::snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

raft::Index WalImpl::FirstIndex() const {
  absl::MutexLock lock(&mu_);
  return index_.FirstIndex();
}

raft::Index WalImpl::LastIndex() const {
  absl::MutexLock lock(&mu_);
  return index_.LastIndex();
}

std::optional<raft::Term> WalImpl::TermAt(raft::Index index) const {
  absl::MutexLock lock(&mu_);
  return index_.TermAt(index);
}

absl::StatusOr<raft::Entry> WalImpl::ReadEntry(raft::Index index) const {
  const RecordLocation& loc = index_.LocationOf(index);
  const std::string path = PathOf(loc.segment_seq);
  auto& reader = readers_[loc.segment_seq];
  if (!reader) {
    COHORT_ASSIGN_OR_RETURN(reader, options_.fs->Open(path, OpenMode::kExisting));
  }
  std::string bytes;
  COHORT_RETURN_IF_ERROR(reader->PRead(loc.offset, loc.size, &bytes));
  ++stats_.disk_reads;
  const DecodedRecord d = DecodeRecord(bytes, options_.max_record_bytes);
  const auto where = [&] { return absl::StrCat(path, " at offset ", loc.offset); };
  if (d.outcome != DecodeOutcome::kRecord || d.type != RecordType::kEntry) {
    return absl::DataLossError(absl::StrCat("entry ", index, " is damaged in ", where(), ": ",
                                            d.outcome == DecodeOutcome::kRecord ? "not an entry" : d.reason));
  }
  auto entry = DecodeEntry(d.payload);
  if (!entry.ok()) return Annotate(entry.status(), where());
  if (entry->index != index || entry->term != *index_.TermAt(index)) {
    return absl::DataLossError(absl::StrCat("record in ", where(), " holds entry ", entry->index,
                                            " (term ", entry->term, "), expected entry ", index));
  }
  return entry;
}

absl::StatusOr<std::vector<raft::Entry>> WalImpl::Entries(raft::Index lo, raft::Index hi,
                                                          std::uint64_t max_bytes) const {
  absl::MutexLock lock(&mu_);
  if (lo < index_.FirstIndex() || hi > index_.LastIndex() || lo > hi) {
    return absl::OutOfRangeError(absl::StrCat("entries [", lo, ", ", hi, "] requested; the log holds [",
                                              index_.FirstIndex(), ", ", index_.LastIndex(), "]"));
  }
  std::vector<raft::Entry> out;
  std::uint64_t bytes = 0;
  for (raft::Index i = lo; i <= hi; ++i) {
    if (const raft::Entry* cached = index_.Cached(i)) {
      if (!out.empty() && bytes + cached->data.size() > max_bytes) break;
      bytes += cached->data.size();
      out.push_back(*cached);
      continue;
    }
    COHORT_ASSIGN_OR_RETURN(raft::Entry e, ReadEntry(i));
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(std::move(e));
  }
  return out;
}

Wal::Stats WalImpl::GetStats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.segments = segments_.size();
  s.cached_entries = index_.cached_entries();
  s.cached_bytes = index_.cached_bytes();
  return s;
}

absl::Status WalImpl::Close() {
  absl::MutexLock write_lock(&write_mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  absl::Status status;
  if (tail_) status = tail_->Close();
  tail_.reset();
  absl::MutexLock lock(&mu_);
  readers_.clear();
  return status;
}

}  // namespace cohort::consensus::wal
