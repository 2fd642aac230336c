// Byte layout of snapshot files (see snapshot_store.h), shared by the store's
// writer and reader.
#ifndef COHORT_SRC_CONSENSUS_WAL_SNAPSHOT_FORMAT_H_
#define COHORT_SRC_CONSENSUS_WAL_SNAPSHOT_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "consensus/raft/types.h"
#include "consensus/wal/file_system.h"

namespace cohort::consensus::wal::snapshot_format {

inline constexpr std::string_view kMagic = "CHSNAP01";
inline constexpr std::uint32_t kMaxMetaBytes = 1u << 20;
inline constexpr std::uint32_t kMaxChunkBytes = 64u << 20;

std::string FileName(raft::Index index, raft::Term term);
std::string TempName(raft::Index index, raft::Term term);
// (index, term) of a snapshot file name.
std::optional<std::pair<raft::Index, raft::Term>> ParseFileName(std::string_view name);
bool IsTempName(std::string_view name);

void PutU32(std::uint32_t v, std::string* out);
void PutU64(std::uint64_t v, std::string* out);
std::uint32_t GetU32(std::string_view in);
std::uint64_t GetU64(std::string_view in);

// Reads a snapshot file front to back, checksumming what it reads. Every
// error is kDataLoss naming the file and offset.
class Parser {
 public:
  Parser(File* file, std::string path) : file_(file), path_(std::move(path)) {}

  // Magic and metadata.
  absl::StatusOr<raft::SnapshotMetadata> ReadHeader();
  // The next chunk; empty after the end marker (trailer then checked).
  absl::StatusOr<std::string> NextChunk();
  std::uint64_t data_bytes() const { return data_bytes_; }

 private:
  absl::StatusOr<std::string> Read(std::size_t n, const char* what);
  absl::Status Error(std::string_view what) const;

  File* file_;
  std::string path_;
  std::uint64_t offset_ = 0;
  std::optional<std::uint64_t> file_size_;
  std::uint32_t crc_ = 0;
  std::uint64_t data_bytes_ = 0;
  bool done_ = false;
};

}  // namespace cohort::consensus::wal::snapshot_format

#endif  // COHORT_SRC_CONSENSUS_WAL_SNAPSHOT_FORMAT_H_
