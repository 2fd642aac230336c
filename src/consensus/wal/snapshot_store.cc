#include "consensus/wal/snapshot_store.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cohort/base/crc32c.h"
#include "cohort/base/status.h"
#include "consensus/wal/snapshot_format.h"

namespace cohort::consensus::wal {
namespace {

namespace fmt_ = snapshot_format;

class SnapshotStoreImpl;

class WriterImpl final : public SnapshotWriter {
 public:
  WriterImpl(SnapshotStoreImpl* store, raft::SnapshotMetadata metadata, std::unique_ptr<File> file,
             std::string tmp, std::string path, std::uint32_t chunk_bytes)
      : store_(store), metadata_(std::move(metadata)), file_(std::move(file)), tmp_(std::move(tmp)),
        path_(std::move(path)), chunk_bytes_(chunk_bytes) {}
  ~WriterImpl() override;

  absl::Status Start() {
    std::string head(fmt_::kMagic);
    const std::string meta = EncodeSnapshotMetadata(metadata_);
    fmt_::PutU32(static_cast<std::uint32_t>(meta.size()), &head);
    head += meta;
    return Put(head);
  }

  absl::Status Write(std::string_view bytes) override {
    if (!status_.ok()) return status_;
    if (committed_) return absl::FailedPreconditionError("snapshot already committed");
    while (!bytes.empty()) {
      const std::string_view part = bytes.substr(0, chunk_bytes_);
      std::string len;
      fmt_::PutU32(static_cast<std::uint32_t>(part.size()), &len);
      COHORT_RETURN_IF_ERROR(Put(len));
      COHORT_RETURN_IF_ERROR(Put(part));
      data_bytes_ += part.size();
      bytes.remove_prefix(part.size());
    }
    return absl::OkStatus();
  }

  absl::Status Commit() override;

 private:
  absl::Status Put(std::string_view bytes) {
    crc_ = crc32c::Extend(crc_, bytes.data(), bytes.size());
    absl::Status s = file_->PWrite(offset_, bytes);
    if (!s.ok()) {
      status_ = s;
      return s;
    }
    offset_ += bytes.size();
    return absl::OkStatus();
  }

  SnapshotStoreImpl* store_;
  raft::SnapshotMetadata metadata_;
  std::unique_ptr<File> file_;
  std::string tmp_;
  std::string path_;
  std::uint32_t chunk_bytes_;
  std::uint64_t offset_ = 0;
  std::uint64_t data_bytes_ = 0;
  std::uint32_t crc_ = 0;
  absl::Status status_;
  bool committed_ = false;
};

class ReaderImpl final : public SnapshotReader {
 public:
  ReaderImpl(std::unique_ptr<File> file, std::string path, raft::SnapshotMetadata metadata,
             std::uint64_t size)
      : file_(std::move(file)), parser_(file_.get(), std::move(path)),
        metadata_(std::move(metadata)), size_(size) {}

  absl::Status Start() { return parser_.ReadHeader().status(); }
  const raft::SnapshotMetadata& metadata() const override { return metadata_; }
  std::uint64_t size() const override { return size_; }
  absl::StatusOr<std::string> Next() override { return parser_.NextChunk(); }

 private:
  std::unique_ptr<File> file_;
  fmt_::Parser parser_;
  raft::SnapshotMetadata metadata_;
  std::uint64_t size_;
};

class SnapshotStoreImpl final : public SnapshotStore {
 public:
  explicit SnapshotStoreImpl(SnapshotStoreOptions options) : options_(std::move(options)) {}

  absl::Status Init() {
    COHORT_RETURN_IF_ERROR(CreateDurableDir(*options_.fs, options_.dir));
    COHORT_ASSIGN_OR_RETURN(const auto names, options_.fs->List(options_.dir));
    bool removed = false;
    for (const std::string& name : names) {
      if (!fmt_::IsTempName(name)) continue;
      Warn(absl::StrCat("removing unfinished snapshot ", name));
      COHORT_RETURN_IF_ERROR(options_.fs->Unlink(Path(name)));
      removed = true;
    }
    if (removed) COHORT_RETURN_IF_ERROR(options_.fs->SyncDir(options_.dir));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(const raft::SnapshotMetadata& m) override {
    const std::string path = Path(fmt_::FileName(m.index, m.term));
    const std::string tmp = Path(fmt_::TempName(m.index, m.term));
    COHORT_ASSIGN_OR_RETURN(const auto names, options_.fs->List(options_.dir));
    if (std::find(names.begin(), names.end(), fmt_::FileName(m.index, m.term)) != names.end()) {
      return absl::AlreadyExistsError(absl::StrCat("snapshot ", path, " already exists"));
    }
    COHORT_ASSIGN_OR_RETURN(auto file, options_.fs->Open(tmp, OpenMode::kCreateTruncate));
    auto writer = std::make_unique<WriterImpl>(this, m, std::move(file), tmp, path, options_.chunk_bytes);
    COHORT_RETURN_IF_ERROR(writer->Start());
    return std::unique_ptr<SnapshotWriter>(std::move(writer));
  }

  absl::StatusOr<std::vector<raft::SnapshotMetadata>> List() override {
    COHORT_ASSIGN_OR_RETURN(const auto names, options_.fs->List(options_.dir));
    std::vector<raft::SnapshotMetadata> out;
    for (const std::string& name : names) {
      if (auto p = fmt_::ParseFileName(name)) {
        raft::SnapshotMetadata m;
        m.index = p->first;
        m.term = p->second;
        out.push_back(std::move(m));
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.index, a.term) > std::tie(b.index, b.term);
    });
    return out;
  }

  absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenNewest() override {
    COHORT_ASSIGN_OR_RETURN(const auto snapshots, List());
    if (snapshots.empty()) {
      return absl::NotFoundError(absl::StrCat("no snapshot in ", options_.dir));
    }
    std::vector<std::string> damaged;
    for (const auto& s : snapshots) {
      const std::string path = Path(fmt_::FileName(s.index, s.term));
      auto verified = Verify(path);
      if (verified.ok()) {
        if (!damaged.empty()) {
          Warn(absl::StrCat("fell back to ", path, " because newer snapshots are damaged: ",
                            absl::StrJoin(damaged, "; ")));
        }
        return verified;
      }
      if (verified.status().code() != absl::StatusCode::kDataLoss) return verified.status();
      damaged.push_back(std::string(verified.status().message()));
    }
    return absl::DataLossError(absl::StrCat(
        "no usable snapshot in ", options_.dir, ": ", absl::StrJoin(damaged, "; "),
        ". The write-ahead log alone cannot rebuild the state it covers: restore the directory "
        "from a backup, or remove this member and add it back empty so that the leader sends it "
        "a snapshot"));
  }

  absl::StatusOr<LoadedSnapshot> LoadNewest() override {
    COHORT_ASSIGN_OR_RETURN(auto reader, OpenNewest());
    LoadedSnapshot out;
    out.metadata = reader->metadata();
    out.data.reserve(reader->size());
    while (true) {
      COHORT_ASSIGN_OR_RETURN(const std::string chunk, reader->Next());
      if (chunk.empty()) break;
      out.data += chunk;
    }
    return out;
  }

  // Publishes a written snapshot and applies retention.
  absl::Status Publish(const std::string& tmp, const std::string& path) {
    COHORT_RETURN_IF_ERROR(options_.fs->Rename(tmp, path));
    COHORT_RETURN_IF_ERROR(options_.fs->SyncDir(options_.dir));
    COHORT_ASSIGN_OR_RETURN(const auto snapshots, List());
    bool removed = false;
    for (std::size_t i = static_cast<std::size_t>(options_.retain); i < snapshots.size(); ++i) {
      COHORT_RETURN_IF_ERROR(
          options_.fs->Unlink(Path(fmt_::FileName(snapshots[i].index, snapshots[i].term))));
      removed = true;
    }
    if (removed) COHORT_RETURN_IF_ERROR(options_.fs->SyncDir(options_.dir));
    return absl::OkStatus();
  }

  FileSystem& fs() { return *options_.fs; }

 private:
  // Reads the whole file once to check it, then returns a reader positioned
  // at the first chunk.
  absl::StatusOr<std::unique_ptr<SnapshotReader>> Verify(const std::string& path) {
    COHORT_ASSIGN_OR_RETURN(auto file, options_.fs->Open(path, OpenMode::kExisting));
    fmt_::Parser parser(file.get(), path);
    COHORT_ASSIGN_OR_RETURN(raft::SnapshotMetadata m, parser.ReadHeader());
    while (true) {
      COHORT_ASSIGN_OR_RETURN(const std::string chunk, parser.NextChunk());
      if (chunk.empty()) break;
    }
    auto name = fmt_::ParseFileName(path.substr(path.rfind('/') + 1));
    if (!name || name->first != m.index || name->second != m.term) {
      return absl::DataLossError(absl::StrCat("snapshot ", path, " holds index ", m.index, " term ",
                                              m.term, ", not what its name says"));
    }
    auto reader = std::make_unique<ReaderImpl>(std::move(file), path, std::move(m), parser.data_bytes());
    COHORT_RETURN_IF_ERROR(reader->Start());
    return std::unique_ptr<SnapshotReader>(std::move(reader));
  }

  std::string Path(const std::string& name) const { return JoinPath(options_.dir, name); }
  void Warn(const std::string& message) const {
    if (options_.logger) options_.logger->warn("snapshot store {}: {}", options_.dir, message);
  }

  const SnapshotStoreOptions options_;
};

WriterImpl::~WriterImpl() {
  if (committed_) return;
  (void)file_->Close();
  (void)store_->fs().Unlink(tmp_);
}

absl::Status WriterImpl::Commit() {
  if (!status_.ok()) return status_;
  if (committed_) return absl::FailedPreconditionError("snapshot already committed");
  std::string tail;
  fmt_::PutU32(0, &tail);
  fmt_::PutU64(data_bytes_, &tail);
  COHORT_RETURN_IF_ERROR(Put(tail));
  std::string crc;
  fmt_::PutU32(crc32c::Mask(crc_), &crc);
  COHORT_RETURN_IF_ERROR(Put(crc));
  if (absl::Status s = file_->Sync(); !s.ok()) {
    status_ = s;
    return s;
  }
  (void)file_->Close();
  committed_ = true;
  return store_->Publish(tmp_, path_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(const SnapshotStoreOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("SnapshotStoreOptions.dir must be set");
  if (options.fs == nullptr) return absl::InvalidArgumentError("SnapshotStoreOptions.fs must be set");
  if (options.retain < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("SnapshotStoreOptions.retain must be >= 1, got ", options.retain));
  }
  if (options.chunk_bytes < 1 || options.chunk_bytes > snapshot_format::kMaxChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SnapshotStoreOptions.chunk_bytes must be in [1, 67108864], got ", options.chunk_bytes));
  }
  auto store = std::make_unique<SnapshotStoreImpl>(options);
  COHORT_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<SnapshotStore>(std::move(store));
}

}  // namespace cohort::consensus::wal
