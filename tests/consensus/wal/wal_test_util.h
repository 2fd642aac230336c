// Helpers shared by the write-ahead log tests.
#ifndef COHORT_TESTS_CONSENSUS_WAL_WAL_TEST_UTIL_H_
#define COHORT_TESTS_CONSENSUS_WAL_WAL_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "consensus/raft/types.h"
#include "consensus/wal/wal.h"

namespace cohort::consensus::wal::testing {

inline raft::Entry MakeEntry(raft::Index index, raft::Term term, std::size_t size = 16) {
  raft::Entry e;
  e.index = index;
  e.term = term;
  e.data = absl::StrCat("entry-", index, "-term-", term, "-");
  e.data.resize(std::max(size, e.data.size()), static_cast<char>('a' + index % 26));
  return e;
}

inline std::vector<raft::Entry> MakeEntries(raft::Index lo, raft::Index hi, raft::Term term,
                                            std::size_t size = 16) {
  std::vector<raft::Entry> out;
  for (raft::Index i = lo; i <= hi; ++i) out.push_back(MakeEntry(i, term, size));
  return out;
}

inline WalOptions SmallOptions(FileSystem* fs, std::string dir = "/data/wal") {
  WalOptions o;
  o.dir = std::move(dir);
  o.fs = fs;
  o.cluster_id = 7;
  o.node_id = 1;
  o.segment_bytes = 4096;
  o.entry_cache_bytes = 1024;
  return o;
}

inline WalBatch Batch(std::vector<raft::Entry> entries,
                      std::optional<raft::HardState> hs = std::nullopt) {
  WalBatch b;
  b.entries = std::move(entries);
  b.hard_state = hs;
  return b;
}

// Every entry of the log, read through Entries() (cache or disk).
inline std::vector<raft::Entry> AllEntries(const Wal& wal) {
  if (wal.LastIndex() < wal.FirstIndex()) return {};
  auto entries = wal.Entries(wal.FirstIndex(), wal.LastIndex(), UINT64_MAX);
  if (!entries.ok()) return {};
  return *entries;
}

}  // namespace cohort::consensus::wal::testing

#endif  // COHORT_TESTS_CONSENSUS_WAL_WAL_TEST_UTIL_H_
