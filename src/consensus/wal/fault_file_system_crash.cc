// FaultFileSystem's crash model and test accessors.
#include <utility>

#include "cohort/base/random.h"
#include "consensus/wal/fault_file_system_internal.h"

namespace cohort::consensus::wal {
namespace fault_fs_internal {

void ApplyData(const DataOp& op, std::string& data) {
  if (op.kind == DataOp::kResize) {
    data.resize(op.offset_or_size, '\0');
    return;
  }
  const std::uint64_t end = op.offset_or_size + op.bytes.size();
  if (data.size() < end) data.resize(end, '\0');
  std::copy(op.bytes.begin(), op.bytes.end(), data.begin() + static_cast<long>(op.offset_or_size));
}

void ApplyMeta(const MetaOp& op,
               std::map<std::string, std::shared_ptr<FaultFileSystem::Inode>>& names) {
  switch (op.kind) {
    case MetaOp::kCreate:
      names[op.name] = op.inode;
      break;
    case MetaOp::kRename: {
      auto it = names.find(op.name);
      if (it == names.end()) break;
      auto inode = it->second;
      names.erase(it);
      names[op.to] = std::move(inode);
      break;
    }
    case MetaOp::kUnlink:
      names.erase(op.name);
      break;
  }
}

}  // namespace fault_fs_internal

using fault_fs_internal::ApplyData;
using fault_fs_internal::ApplyMeta;
using fault_fs_internal::DataOp;

void FaultFileSystem::Crash(CrashMode mode, std::uint64_t seed) {
  absl::MutexLock lock(&mu_);
  Random random(seed);
  for (auto& [dir_path, dir] : dirs_) {
    // Files first, in name order of the current namespace, so that a seed
    // replays exactly; unlinked-but-open inodes die with the crash anyway.
    std::vector<std::shared_ptr<Inode>> inodes;
    for (auto& [name, inode] : dir->names) inodes.push_back(inode);
    for (auto& [name, inode] : dir->synced_names) inodes.push_back(inode);
    for (const auto& op : dir->pending) {
      if (op.inode) inodes.push_back(op.inode);
    }
    for (auto& inode : inodes) {
      if (inode->data == inode->synced && inode->pending.empty()) continue;
      std::string data = inode->synced;
      if (mode != CrashMode::kDropUnsynced && !inode->pending.empty()) {
        const std::size_t keep = random.Uniform(inode->pending.size() + 1);
        for (std::size_t i = 0; i < keep; ++i) ApplyData(inode->pending[i], data);
        if (keep < inode->pending.size() && inode->pending[keep].kind == DataOp::kWrite) {
          DataOp torn = inode->pending[keep];
          torn.bytes.resize(random.Uniform(torn.bytes.size() + 1));
          ApplyData(torn, data);
        }
      }
      inode->data = data;
      inode->synced = std::move(data);
      inode->pending.clear();
    }
    auto names = dir->synced_names;
    const std::size_t n = dir->pending.size();
    if (mode == CrashMode::kKeepRandomPrefix) {
      const std::size_t keep = random.Uniform(n + 1);
      for (std::size_t i = 0; i < keep; ++i) ApplyMeta(dir->pending[i], names);
    } else if (mode == CrashMode::kReorderMetadata) {
      for (std::size_t i = 0; i < n; ++i) {
        if (random.Bernoulli(0.5)) ApplyMeta(dir->pending[i], names);
      }
    }
    dir->names = names;
    dir->synced_names = std::move(names);
    dir->pending.clear();
  }
  ++generation_;
  steps_ = 0;
  frozen_ = false;
  crash_at_.reset();
  call_faults_.clear();
}

bool FaultFileSystem::Exists(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  std::string name;
  const Dir* dir = FindDirOf(path, &name);
  return dir != nullptr && dir->names.contains(name);
}

absl::StatusOr<std::string> FaultFileSystem::Contents(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  std::string name;
  const Dir* dir = FindDirOf(path, &name);
  if (dir == nullptr || !dir->names.contains(name)) return absl::NotFoundError(path);
  return dir->names.at(name)->data;
}

absl::Status FaultFileSystem::SetContents(const std::string& path, std::string data) {
  absl::MutexLock lock(&mu_);
  std::string name;
  const Dir* dir = FindDirOf(path, &name);
  if (dir == nullptr || !dir->names.contains(name)) return absl::NotFoundError(path);
  auto& inode = *dir->names.at(name);
  inode.data = data;
  inode.synced = std::move(data);
  inode.pending.clear();
  return absl::OkStatus();
}

std::uint64_t FaultFileSystem::UnsyncedBytes() const {
  absl::MutexLock lock(&mu_);
  std::uint64_t total = 0;
  for (const auto& [p, dir] : dirs_) {
    for (const auto& [name, inode] : dir->names) {
      for (const auto& op : inode->pending) total += op.bytes.size();
    }
  }
  return total;
}

}  // namespace cohort::consensus::wal
