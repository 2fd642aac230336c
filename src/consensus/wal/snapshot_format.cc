#include "consensus/wal/snapshot_format.h"

#include <cinttypes>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/crc32c.h"
#include "cohort/base/status.h"
#include "consensus/wal/snapshot_store.h"

namespace cohort::consensus::wal {
namespace {

void PutIds(const std::vector<raft::NodeId>& ids, std::string* out) {
  coding::PutVarint(ids.size(), out);
  for (raft::NodeId id : ids) coding::PutVarint(id, out);
}

absl::Status GetIds(coding::Reader& r, std::size_t remaining, std::vector<raft::NodeId>* ids) {
  COHORT_ASSIGN_OR_RETURN(const std::uint64_t n, r.Varint("count"));
  // Each id takes at least one byte: bound the count before reserving.
  if (n > remaining) return absl::DataLossError("snapshot metadata: member count exceeds its bytes");
  ids->clear();
  for (std::uint64_t i = 0; i < n; ++i) {
    COHORT_ASSIGN_OR_RETURN(const std::uint64_t id, r.Varint("member id"));
    ids->push_back(id);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeSnapshotMetadata(const raft::SnapshotMetadata& m) {
  std::string out;
  coding::PutVarint(m.index, &out);
  coding::PutVarint(m.term, &out);
  PutIds(m.conf_state.voters, &out);
  PutIds(m.conf_state.learners, &out);
  PutIds(m.conf_state.voters_outgoing, &out);
  PutIds(m.conf_state.learners_next, &out);
  out.push_back(m.conf_state.auto_leave ? 1 : 0);
  return out;
}

absl::StatusOr<raft::SnapshotMetadata> DecodeSnapshotMetadata(std::string_view bytes) {
  // The auto_leave byte is last; the varint reader covers the rest.
  if (bytes.empty()) return absl::DataLossError("snapshot metadata is empty");
  const auto auto_leave = static_cast<std::uint8_t>(bytes.back());
  if (auto_leave > 1) return absl::DataLossError("snapshot metadata: bad auto_leave flag");
  bytes.remove_suffix(1);
  coding::Reader r(bytes, "snapshot metadata");
  raft::SnapshotMetadata m;
  COHORT_ASSIGN_OR_RETURN(m.index, r.Varint("index"));
  COHORT_ASSIGN_OR_RETURN(m.term, r.Varint("term"));
  COHORT_RETURN_IF_ERROR(GetIds(r, bytes.size(), &m.conf_state.voters));
  COHORT_RETURN_IF_ERROR(GetIds(r, bytes.size(), &m.conf_state.learners));
  COHORT_RETURN_IF_ERROR(GetIds(r, bytes.size(), &m.conf_state.voters_outgoing));
  COHORT_RETURN_IF_ERROR(GetIds(r, bytes.size(), &m.conf_state.learners_next));
  COHORT_RETURN_IF_ERROR(r.ExpectEnd());
  m.conf_state.auto_leave = auto_leave == 1;
  return m;
}

namespace snapshot_format {
namespace {

constexpr std::string_view kPrefix = "snap-";
constexpr std::string_view kSuffix = ".snap";
constexpr std::string_view kTempSuffix = ".snap.tmp";

std::optional<std::pair<raft::Index, raft::Term>> Parse(std::string_view name,
                                                         std::string_view suffix) {
  if (name.size() != kPrefix.size() + 33 + suffix.size()) return std::nullopt;
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  if (name.substr(name.size() - suffix.size()) != suffix) return std::nullopt;
  if (name[kPrefix.size() + 16] != '-') return std::nullopt;
  std::uint64_t v[2] = {0, 0};
  for (int part = 0; part < 2; ++part) {
    for (char c : name.substr(kPrefix.size() + 17 * part, 16)) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return std::nullopt;
      }
      v[part] = v[part] * 16 + static_cast<std::uint64_t>(d);
    }
  }
  return std::make_pair(v[0], v[1]);
}

std::string Name(raft::Index index, raft::Term term, std::string_view suffix) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 "-%016" PRIx64, index, term);
  return absl::StrCat(std::string(kPrefix), buf, std::string(suffix));
}

}  // namespace

std::string FileName(raft::Index index, raft::Term term) { return Name(index, term, kSuffix); }
std::string TempName(raft::Index index, raft::Term term) { return Name(index, term, kTempSuffix); }
std::optional<std::pair<raft::Index, raft::Term>> ParseFileName(std::string_view name) {
  return Parse(name, kSuffix);
}
bool IsTempName(std::string_view name) { return Parse(name, kTempSuffix).has_value(); }

void PutU32(std::uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint32_t GetU32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << (8 * i);
  return v;
}
std::uint64_t GetU64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in[i])) << (8 * i);
  return v;
}

absl::Status Parser::Error(std::string_view what) const {
  return absl::DataLossError(absl::StrCat("snapshot ", path_, " is damaged at offset ", offset_, ": ",
                                          std::string(what)));
}

absl::StatusOr<std::string> Parser::Read(std::size_t n, const char* what) {
  if (!file_size_) {
    COHORT_ASSIGN_OR_RETURN(const std::uint64_t size, file_->Size());
    file_size_ = size;
  }
  // Lengths come from the file: never allocate more than it holds.
  if (offset_ > *file_size_ || n > *file_size_ - offset_) {
    return Error(absl::StrCat("file ends inside the ", what));
  }
  std::string out;
  COHORT_RETURN_IF_ERROR(file_->PRead(offset_, n, &out));
  if (out.size() != n) return Error(absl::StrCat("file ends inside the ", what));
  crc_ = crc32c::Extend(crc_, out.data(), out.size());
  offset_ += n;
  return out;
}

absl::StatusOr<raft::SnapshotMetadata> Parser::ReadHeader() {
  COHORT_ASSIGN_OR_RETURN(const std::string magic, Read(kMagic.size(), "magic"));
  if (magic != kMagic) return Error("not a cohort snapshot file (bad magic)");
  COHORT_ASSIGN_OR_RETURN(const std::string len, Read(4, "metadata length"));
  const std::uint32_t n = GetU32(len);
  if (n > kMaxMetaBytes) return Error(absl::StrCat("metadata length ", n, " exceeds the limit"));
  COHORT_ASSIGN_OR_RETURN(const std::string meta, Read(n, "metadata"));
  auto m = DecodeSnapshotMetadata(meta);
  if (!m.ok()) return Error(m.status().message().data());
  return m;
}

absl::StatusOr<std::string> Parser::NextChunk() {
  if (done_) return std::string();
  COHORT_ASSIGN_OR_RETURN(const std::string len, Read(4, "chunk length"));
  const std::uint32_t n = GetU32(len);
  if (n > kMaxChunkBytes) return Error(absl::StrCat("chunk length ", n, " exceeds the limit"));
  if (n > 0) {
    COHORT_ASSIGN_OR_RETURN(std::string chunk, Read(n, "chunk"));
    data_bytes_ += n;
    return chunk;
  }
  COHORT_ASSIGN_OR_RETURN(const std::string total, Read(8, "trailer"));
  const std::uint32_t expected = crc32c::Mask(crc_);
  std::string stored;
  COHORT_RETURN_IF_ERROR(file_->PRead(offset_, 5, &stored));
  if (stored.size() != 4) return Error(stored.size() < 4 ? "file ends inside the checksum" : "trailing bytes after the checksum");
  if (GetU64(total) != data_bytes_) return Error("trailer length does not match the chunks");
  if (GetU32(stored) != expected) return Error("checksum mismatch");
  done_ = true;
  return std::string();
}

}  // namespace snapshot_format
}  // namespace cohort::consensus::wal
