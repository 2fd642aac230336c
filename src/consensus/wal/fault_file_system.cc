#include "consensus/wal/fault_file_system.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "consensus/wal/fault_file_system_internal.h"

namespace cohort::consensus::wal {
namespace {

using fault_fs_internal::ApplyData;
using fault_fs_internal::ApplyMeta;
using fault_fs_internal::DataOp;
using fault_fs_internal::MetaOp;

absl::Status Crashed() {
  return absl::InternalError("simulated power loss: the file system is frozen until Crash()");
}

class FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem* fs, std::shared_ptr<FaultFileSystem::Inode> inode, std::string path,
            std::uint64_t generation)
      : fs_(fs), inode_(std::move(inode)), path_(std::move(path)), generation_(generation) {}

  absl::Status PWrite(std::uint64_t offset, std::string_view data) override {
    return Write(FsOp::kPWrite, DataOp{DataOp::kWrite, offset, std::string(data)});
  }
  absl::Status Append(std::string_view data) override {
    absl::MutexLock lock(&fs_->mu());
    return WriteLocked(FsOp::kAppend, DataOp{DataOp::kWrite, inode_->data.size(), std::string(data)});
  }
  absl::Status PRead(std::uint64_t offset, std::size_t n, std::string* out) override {
    absl::MutexLock lock(&fs_->mu());
    COHORT_RETURN_IF_ERROR(Alive());
    out->clear();
    if (offset < inode_->data.size()) *out = inode_->data.substr(offset, n);
    return absl::OkStatus();
  }
  absl::Status Sync() override { return DoSync(FsOp::kSync); }
  absl::Status DataSync() override { return DoSync(FsOp::kDataSync); }
  absl::Status Fallocate(std::uint64_t size) override {
    absl::MutexLock lock(&fs_->mu());
    COHORT_RETURN_IF_ERROR(fs_->BeforeStep(FsOp::kFallocate, path_, generation_));
    if (inode_->data.size() >= size) return absl::OkStatus();
    return Apply(DataOp{DataOp::kResize, size, {}});
  }
  absl::Status Truncate(std::uint64_t size) override {
    return Write(FsOp::kTruncate, DataOp{DataOp::kResize, size, {}});
  }
  absl::StatusOr<std::uint64_t> Size() override {
    absl::MutexLock lock(&fs_->mu());
    COHORT_RETURN_IF_ERROR(Alive());
    return inode_->data.size();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  absl::Status Alive() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs_->mu()) {
    return fs_->BeforeStep(FsOp::kOpen, "", generation_ + (1ull << 63));
  }
  absl::Status Write(FsOp op, DataOp data_op) {
    absl::MutexLock lock(&fs_->mu());
    return WriteLocked(op, std::move(data_op));
  }
  absl::Status WriteLocked(FsOp op, DataOp data_op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs_->mu()) {
    COHORT_RETURN_IF_ERROR(fs_->BeforeStep(op, path_, generation_));
    return Apply(std::move(data_op));
  }
  absl::Status Apply(DataOp op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs_->mu()) {
    ApplyData(op, inode_->data);
    inode_->pending.push_back(std::move(op));
    return absl::OkStatus();
  }
  absl::Status DoSync(FsOp op) {
    fs_->RunSyncHook(path_);
    absl::MutexLock lock(&fs_->mu());
    COHORT_RETURN_IF_ERROR(fs_->BeforeStep(op, path_, generation_));
    inode_->synced = inode_->data;
    inode_->pending.clear();
    return absl::OkStatus();
  }

  FaultFileSystem* fs_;
  std::shared_ptr<FaultFileSystem::Inode> inode_;
  std::string path_;
  std::uint64_t generation_;
};

}  // namespace

FaultFileSystem::FaultFileSystem() = default;
FaultFileSystem::~FaultFileSystem() = default;

absl::Status FaultFileSystem::BeforeStep(FsOp op, const std::string& path,
                                         std::uint64_t generation) {
  return BeforeStepLocked(op, path, generation);
}

// The high bit of `generation` marks an uncounted liveness check.
absl::Status FaultFileSystem::BeforeStepLocked(FsOp op, const std::string& path,
                                               std::uint64_t generation) {
  const bool counted = (generation >> 63) == 0;
  generation &= ~(1ull << 63);
  if (generation != generation_) {
    return absl::FailedPreconditionError(
        absl::StrCat("file handle for '", path, "' was opened before a simulated crash"));
  }
  if (!counted) return absl::OkStatus();
  if (frozen_) return Crashed();
  const std::uint64_t step = steps_++;
  if (crash_at_ && step >= *crash_at_) {
    frozen_ = true;
    return Crashed();
  }
  if (auto it = call_faults_.find(step); it != call_faults_.end()) {
    absl::Status s = it->second;
    call_faults_.erase(it);
    return s;
  }
  for (auto it = op_faults_.begin(); it != op_faults_.end(); ++it) {
    if (it->op != op || !absl::StrContains(path, it->path_part)) continue;
    absl::Status s = it->status;
    if (it->times > 0 && --it->times == 0) op_faults_.erase(it);
    return s;
  }
  return absl::OkStatus();
}

FaultFileSystem::Dir& FaultFileSystem::DirOf(const std::string& path, std::string* name) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  *name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto& d = dirs_[dir];
  if (!d) d = std::make_unique<Dir>();
  return *d;
}

const FaultFileSystem::Dir* FaultFileSystem::FindDirOf(const std::string& path,
                                                       std::string* name) const {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  *name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto it = dirs_.find(dir);
  return it == dirs_.end() ? nullptr : it->second.get();
}

absl::StatusOr<std::unique_ptr<File>> FaultFileSystem::Open(const std::string& path,
                                                            OpenMode mode) {
  absl::MutexLock lock(&mu_);
  std::string name;
  Dir& dir = DirOf(path, &name);
  auto it = dir.names.find(name);
  if (mode == OpenMode::kExisting) {
    if (frozen_) return Crashed();
    if (it == dir.names.end()) return absl::NotFoundError(absl::StrCat("open ", path, ": no such file"));
    return std::unique_ptr<File>(std::make_unique<FaultFile>(this, it->second, path, generation_));
  }
  COHORT_RETURN_IF_ERROR(BeforeStepLocked(FsOp::kOpen, path, generation_));
  std::shared_ptr<Inode> inode;
  if (it == dir.names.end()) {
    inode = std::make_shared<Inode>();
    dir.names[name] = inode;
    dir.pending.push_back(MetaOp{MetaOp::kCreate, name, {}, inode});
  } else {
    inode = it->second;
    if (mode == OpenMode::kCreateTruncate) {
      ApplyData(DataOp{DataOp::kResize, 0, {}}, inode->data);
      inode->pending.push_back(DataOp{DataOp::kResize, 0, {}});
    }
  }
  return std::unique_ptr<File>(std::make_unique<FaultFile>(this, inode, path, generation_));
}

absl::Status FaultFileSystem::Rename(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&mu_);
  std::string from_name, to_name;
  Dir& dir = DirOf(from, &from_name);
  if (&DirOf(to, &to_name) != &dir) {
    return absl::InvalidArgumentError("FaultFileSystem renames only within one directory");
  }
  COHORT_RETURN_IF_ERROR(BeforeStepLocked(FsOp::kRename, from, generation_));
  auto it = dir.names.find(from_name);
  if (it == dir.names.end()) return absl::NotFoundError(absl::StrCat("rename ", from, ": no such file"));
  MetaOp op{MetaOp::kRename, from_name, to_name, nullptr};
  ApplyMeta(op, dir.names);
  dir.pending.push_back(std::move(op));
  return absl::OkStatus();
}

absl::Status FaultFileSystem::Unlink(const std::string& path) {
  absl::MutexLock lock(&mu_);
  std::string name;
  Dir& dir = DirOf(path, &name);
  COHORT_RETURN_IF_ERROR(BeforeStepLocked(FsOp::kUnlink, path, generation_));
  if (dir.names.erase(name) == 0) return absl::NotFoundError(absl::StrCat("unlink ", path, ": no such file"));
  dir.pending.push_back(MetaOp{MetaOp::kUnlink, name, {}, nullptr});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FaultFileSystem::List(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  if (frozen_) return Crashed();
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return absl::NotFoundError(absl::StrCat("opendir ", dir, ": no such directory"));
  std::vector<std::string> names;
  for (const auto& [name, inode] : it->second->names) names.push_back(name);
  return names;
}

absl::Status FaultFileSystem::CreateDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  if (frozen_) return Crashed();
  // Every ancestor too, like mkdir -p.
  for (std::size_t pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
    auto& d = dirs_[dir.substr(0, pos)];
    if (!d) d = std::make_unique<Dir>();
    if (pos == std::string::npos) break;
  }
  return absl::OkStatus();
}

absl::Status FaultFileSystem::SyncDir(const std::string& dir) {
  RunSyncHook(dir);
  absl::MutexLock lock(&mu_);
  COHORT_RETURN_IF_ERROR(BeforeStepLocked(FsOp::kSyncDir, dir, generation_));
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return absl::NotFoundError(absl::StrCat("open ", dir, ": no such directory"));
  it->second->synced_names = it->second->names;
  it->second->pending.clear();
  return absl::OkStatus();
}

std::uint64_t FaultFileSystem::steps() const {
  absl::MutexLock lock(&mu_);
  return steps_;
}

void FaultFileSystem::CrashAtCall(std::uint64_t step) {
  absl::MutexLock lock(&mu_);
  crash_at_ = step;
}

void FaultFileSystem::FailCall(std::uint64_t step, absl::Status status) {
  absl::MutexLock lock(&mu_);
  call_faults_[step] = std::move(status);
}

void FaultFileSystem::FailOp(FsOp op, std::string path_part, absl::Status status, int times) {
  absl::MutexLock lock(&mu_);
  op_faults_.push_back(OpFault{op, std::move(path_part), std::move(status), times});
}

void FaultFileSystem::ClearFaults() {
  absl::MutexLock lock(&mu_);
  op_faults_.clear();
  call_faults_.clear();
  crash_at_.reset();
}

void FaultFileSystem::SetSyncHook(std::function<void(const std::string&)> hook) {
  absl::MutexLock lock(&mu_);
  sync_hook_ = std::move(hook);
}

void FaultFileSystem::SetSyncDelay(Clock* clock, absl::Duration delay) {
  SetSyncHook([clock, delay](const std::string&) { clock->BlockFor(delay); });
}

void FaultFileSystem::RunSyncHook(const std::string& path) {
  std::function<void(const std::string&)> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = sync_hook_;
  }
  if (hook) hook(path);
}

}  // namespace cohort::consensus::wal
