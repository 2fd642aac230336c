// A crash between every pair of file-system calls of each multi-step log
// operation (append, conflicting-suffix overwrite, segment rollover,
// snapshot marker + compaction): the operation runs with the fault file
// system frozen before call n, the machine loses power (dropping unsynced
// writes, or keeping a random prefix of them, or persisting directory
// operations out of order), and the reopened log must hold either the state
// before the operation or a state the operation could legally leave behind,
// and exactly the state after it if it returned OK.
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/wal/fault_file_system.h"
#include "consensus/wal/wal.h"
#include "wal_test_util.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using namespace ::cohort::consensus::wal::testing;  // NOLINT

struct State {
  std::vector<raft::Entry> entries;
  raft::HardState hard_state;
  SnapshotMarker snapshot;

  friend bool operator==(const State&, const State&) = default;
};

State Capture(const Wal& wal) {
  return State{AllEntries(wal), wal.hard_state(), wal.snapshot()};
}

bool IsPrefix(const std::vector<raft::Entry>& a, const std::vector<raft::Entry>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

std::string Describe(const State& s) {
  std::string out = absl::StrCat("entries=", s.entries.size());
  if (!s.entries.empty()) {
    absl::StrAppend(&out, " [", s.entries.front().index, "..", s.entries.back().index, "] last term ",
                    s.entries.back().term);
  }
  absl::StrAppend(&out, " hs=", s.hard_state.term, "/", s.hard_state.vote, "/", s.hard_state.commit,
                  " snap=", s.snapshot.index);
  return out;
}

struct Scenario {
  std::string name;
  std::function<void(Wal&)> setup;
  std::function<absl::Status(Wal&)> op;
  // Index of the first entry the operation writes (0: it writes none).
  raft::Index first_written = 0;
};

// `got` is a state the operation may leave after a crash: the state before,
// the state after, or (for appends) the entries before the first written
// index plus a non-empty prefix of the written ones.
bool Acceptable(const Scenario& sc, const State& before, const State& after, const State& got) {
  if (got == before || got == after) return true;
  if (sc.first_written == 0) return false;
  if (got.snapshot != before.snapshot) return false;
  if (got.hard_state != before.hard_state && got.hard_state != after.hard_state) return false;
  if (!IsPrefix(got.entries, after.entries)) return false;
  // The hard state follows the entries in the batch: it implies all of them.
  if (got.hard_state != before.hard_state && got.entries != after.entries) return false;
  return !got.entries.empty() && got.entries.back().index >= sc.first_written;
}

// Returns the largest number of calls the operation made.
std::uint64_t RunEveryCrashPoint(const Scenario& sc) {
  std::uint64_t max_calls = 0;
  // A reference run without faults gives the states before and after.
  State before, after;
  {
    FaultFileSystem fs;
    auto wal = Wal::Open(SmallOptions(&fs));
    EXPECT_THAT(wal.status(), IsOk());
    sc.setup(**wal);
    before = Capture(**wal);
    EXPECT_THAT(sc.op(**wal), IsOk());
    after = Capture(**wal);
  }
  const CrashMode modes[] = {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix,
                             CrashMode::kReorderMetadata};
  for (CrashMode mode : modes) {
    for (std::uint64_t seed = 1; seed <= (mode == CrashMode::kDropUnsynced ? 1u : 4u); ++seed) {
      for (std::uint64_t n = 0;; ++n) {
        SCOPED_TRACE(absl::StrCat(sc.name, " mode ", static_cast<int>(mode), " seed ", seed,
                                  " crash before call ", n));
        FaultFileSystem fs;
        absl::Status op_status;
        std::uint64_t calls = 0;
        {
          auto wal = Wal::Open(SmallOptions(&fs));
          EXPECT_THAT(wal.status(), IsOk());
          sc.setup(**wal);
          const std::uint64_t start = fs.steps();
          fs.CrashAtCall(start + n);
          op_status = sc.op(**wal);
            calls = fs.steps() - start;
        }
        max_calls = std::max(max_calls, calls);
        fs.Crash(mode, seed * 1000 + n);
        auto wal = Wal::Open(SmallOptions(&fs));
        EXPECT_THAT(wal.status(), IsOk());
        if (!wal.ok()) return max_calls;
        const State got = Capture(**wal);
        if (op_status.ok()) {
          EXPECT_EQ(got, after) << Describe(got) << " vs " << Describe(after);
        } else {
          EXPECT_TRUE(Acceptable(sc, before, after, got))
              << "got " << Describe(got) << "; before " << Describe(before) << "; after "
              << Describe(after);
        }
        // Whatever survived, the log takes new writes that survive a reopen.
        const raft::Index next = (*wal)->LastIndex() + 1;
        EXPECT_THAT((*wal)->Append(Batch({MakeEntry(next, 9)}, raft::HardState{9, 1, 0})), IsOk());
        wal->reset();
        auto again = Wal::Open(SmallOptions(&fs));
        EXPECT_THAT(again.status(), IsOk());
        if (again.ok()) {
          EXPECT_EQ((*again)->TermAt(next), 9u);
        }
        // The crash point lay beyond the operation's last call: all covered.
        if (n > calls) break;
      }
    }
  }
  return max_calls;
}

void Fill(Wal& wal, raft::Index lo, raft::Index hi, raft::Term term, std::size_t size) {
  for (raft::Index i = lo; i <= hi; i += 5) {
    ASSERT_THAT(wal.Append(Batch(MakeEntries(i, std::min(hi, i + 4), term, size),
                                 raft::HardState{term, 1, i > 5 ? i - 5 : 0})),
                IsOk());
  }
}

TEST(WalCrashPointsTest, Append) {
  // pwrite + fdatasync.
  EXPECT_EQ(RunEveryCrashPoint({"append", [](Wal& w) { Fill(w, 1, 10, 1, 50); },
                      [](Wal& w) { return w.Append(Batch(MakeEntries(11, 15, 1, 50), raft::HardState{1, 1, 8})); },
                      11}), 2u);
}

TEST(WalCrashPointsTest, OverwriteConflictingSuffix) {
  EXPECT_EQ(RunEveryCrashPoint({"overwrite", [](Wal& w) { Fill(w, 1, 20, 1, 50); },
                      [](Wal& w) { return w.Append(Batch(MakeEntries(16, 18, 2, 50), raft::HardState{2, 2, 15})); },
                      16}), 2u);
}

TEST(WalCrashPointsTest, Rollover) {
  // 4096-byte segments: the setup leaves the tail nearly full, so the next
  // batch starts a new segment (temp file, fallocate, preamble, zeros ahead,
  // fsync, rename, directory fsync) before it is written.
  // open, fallocate, pwrite, pwrite, fsync, rename, directory fsync, pwrite,
  // fdatasync.
  EXPECT_EQ(RunEveryCrashPoint({"rollover", [](Wal& w) { Fill(w, 1, 30, 1, 100); },
                      [](Wal& w) {
                        const auto segments = w.GetStats().segments;
                        absl::Status s = w.Append(Batch(MakeEntries(31, 40, 1, 100)));
                        if (s.ok() && w.GetStats().segments == segments) {
                          return absl::InternalError("test setup did not trigger a rollover");
                        }
                        return s;
                      },
                      31}), 9u);
}

TEST(WalCrashPointsTest, SnapshotMarkerAndCompaction) {
  // pwrite + fdatasync of the marker, an unlink per segment, directory fsync.
  EXPECT_GE(RunEveryCrashPoint({"compaction", [](Wal& w) { Fill(w, 1, 120, 1, 100); },
                      [](Wal& w) -> absl::Status {
                        COHORT_RETURN_IF_ERROR(w.MarkSnapshot({100, 1}));
                        auto deleted = w.Compact();
                        if (!deleted.ok()) return deleted.status();
                        if (*deleted < 2) return absl::InternalError("test setup compacted too little");
                        return absl::OkStatus();
                      },
                      0}), 5u);
}

TEST(WalCrashPointsTest, CrashDuringCreationOfTheFirstSegment) {
  for (std::uint64_t n = 0; n < 10; ++n) {
    FaultFileSystem fs;
    fs.CrashAtCall(n);
    auto first = Wal::Open(SmallOptions(&fs));
    fs.Crash(CrashMode::kKeepRandomPrefix, n);
    auto wal = Wal::Open(SmallOptions(&fs));
    ASSERT_THAT(wal.status(), IsOk()) << "crash before call " << n;
    EXPECT_EQ((*wal)->LastIndex(), 0u);
    ASSERT_THAT((*wal)->Append(Batch(MakeEntries(1, 2, 1))), IsOk());
  }
}

}  // namespace
}  // namespace cohort::consensus::wal
