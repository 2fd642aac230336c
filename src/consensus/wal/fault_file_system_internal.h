// Internals of FaultFileSystem shared by its two source files.
#ifndef COHORT_SRC_CONSENSUS_WAL_FAULT_FILE_SYSTEM_INTERNAL_H_
#define COHORT_SRC_CONSENSUS_WAL_FAULT_FILE_SYSTEM_INTERNAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/wal/fault_file_system.h"

namespace cohort::consensus::wal {
namespace fault_fs_internal {

// One unsynced change to a file's bytes, replayed on a crash.
struct DataOp {
  enum Kind { kWrite, kResize } kind;
  std::uint64_t offset_or_size;
  std::string bytes;
};

}  // namespace fault_fs_internal

struct FaultFileSystem::Inode {
  std::string data;
  std::string synced;
  std::vector<fault_fs_internal::DataOp> pending;
};

namespace fault_fs_internal {

struct MetaOp {
  enum Kind { kCreate, kRename, kUnlink } kind;
  std::string name;
  std::string to;
  std::shared_ptr<FaultFileSystem::Inode> inode;
};

void ApplyData(const DataOp& op, std::string& data);
void ApplyMeta(const MetaOp& op,
               std::map<std::string, std::shared_ptr<FaultFileSystem::Inode>>& names);

}  // namespace fault_fs_internal

struct FaultFileSystem::Dir {
  std::map<std::string, std::shared_ptr<Inode>> names;
  std::map<std::string, std::shared_ptr<Inode>> synced_names;
  std::vector<fault_fs_internal::MetaOp> pending;
};

}  // namespace cohort::consensus::wal

#endif  // COHORT_SRC_CONSENSUS_WAL_FAULT_FILE_SYSTEM_INTERNAL_H_
