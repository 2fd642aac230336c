// Randomised crash-and-restart runs: appends, conflicting overwrites, hard
// states, snapshot markers and compaction on small segments, with power
// losses injected at random file-system calls in every crash mode. After
// each restart the log must hold everything acknowledged, plus at most a
// prefix of the operation that was cut short. A failing seed is printed and
// replays exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/wal/fault_file_system.h"
#include "consensus/wal/wal.h"
#include "wal_test_util.h"

namespace cohort::consensus::wal {
namespace {

using ::cohort::testing::IsOk;
using namespace ::cohort::consensus::wal::testing;  // NOLINT

struct State {
  std::vector<raft::Entry> entries;  // the live log, in index order
  raft::HardState hard_state;
  SnapshotMarker snapshot;
  friend bool operator==(const State&, const State&) = default;
};

State Capture(const Wal& wal) { return State{AllEntries(wal), wal.hard_state(), wal.snapshot()}; }

raft::Index LastIndex(const State& s) {
  return s.entries.empty() ? s.snapshot.index : s.entries.back().index;
}

bool IsPrefix(const std::vector<raft::Entry>& a, const std::vector<raft::Entry>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void RunSeed(std::uint64_t seed) {
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  Random random(seed);
  FaultFileSystem fs;
  auto options = SmallOptions(&fs);
  auto opened = Wal::Open(options);
  ASSERT_THAT(opened.status(), IsOk());
  std::unique_ptr<Wal> wal = std::move(*opened);
  State model;
  raft::Term term = 1;
  int crashes = 0;
  for (int step = 0; step < 150; ++step) {
    SCOPED_TRACE(absl::StrCat("step ", step));
    const bool inject = random.Bernoulli(0.3);
    if (inject) fs.CrashAtCall(fs.steps() + random.Uniform(10));
    State after = model;
    raft::Index first_written = 0;
    absl::Status status;
    const auto choice = random.Uniform(10);
    const raft::Index last = LastIndex(model);
    if (choice < 6 || last <= model.hard_state.commit) {
      // Append 1..20 entries, sometimes with a hard state that commits some.
      const raft::Index n = 1 + random.Uniform(20);
      WalBatch batch;
      batch.entries = MakeEntries(last + 1, last + n, term, random.Uniform(150));
      if (random.Bernoulli(0.7)) {
        batch.hard_state = raft::HardState{term, 1, last + random.Uniform(n + 1)};
        if (batch.hard_state->commit < model.hard_state.commit) batch.hard_state->commit = model.hard_state.commit;
      }
      first_written = last + 1;
      after.entries.insert(after.entries.end(), batch.entries.begin(), batch.entries.end());
      if (batch.hard_state) after.hard_state = *batch.hard_state;
      status = wal->Append(batch);
    } else if (choice < 8) {
      // A new leader overwrites the uncommitted suffix.
      ++term;
      const raft::Index from = model.hard_state.commit + 1 + random.Uniform(last - model.hard_state.commit);
      WalBatch batch;
      batch.entries = MakeEntries(from, from + random.Uniform(5), term, 30);
      batch.hard_state = raft::HardState{term, 2, model.hard_state.commit};
      first_written = from;
      after.entries.resize(from - (model.snapshot.index + 1));
      after.entries.insert(after.entries.end(), batch.entries.begin(), batch.entries.end());
      after.hard_state = *batch.hard_state;
      status = wal->Append(batch);
    } else {
      // Snapshot somewhere in the committed prefix, then compact.
      if (model.hard_state.commit <= model.snapshot.index) {
        fs.ClearFaults();
        continue;
      }
      const raft::Index at =
          model.snapshot.index + 1 + random.Uniform(model.hard_state.commit - model.snapshot.index);
      const SnapshotMarker marker{at, model.entries[at - model.snapshot.index - 1].term};
      after.entries.erase(after.entries.begin(), after.entries.begin() + static_cast<long>(at - model.snapshot.index));
      after.snapshot = marker;
      status = wal->MarkSnapshot(marker);
      if (status.ok()) {
        // Compaction changes nothing visible: the state is `after` either way.
        model = after;
        status = wal->Compact().status();
      }
    }
    if (status.ok()) model = after;
    if (!inject && !random.Bernoulli(0.05)) {
      ASSERT_THAT(status, IsOk());
      continue;
    }
    // Power loss (now, or at the injected call) and restart.
    ++crashes;
    wal.reset();
    const auto mode = static_cast<CrashMode>(random.Uniform(3));
    fs.Crash(mode, random.Next64());
    fs.ClearFaults();
    opened = Wal::Open(options);
    ASSERT_THAT(opened.status(), IsOk());
    wal = std::move(*opened);
    const State got = Capture(*wal);
    if (status.ok()) {
      ASSERT_EQ(got, model) << "acknowledged state lost";
    } else {
      const bool partial = first_written != 0 && got.snapshot == model.snapshot &&
                           IsPrefix(got.entries, after.entries) && LastIndex(got) >= first_written &&
                           (got.hard_state == model.hard_state ||
                            (got.hard_state == after.hard_state && got.entries == after.entries));
      ASSERT_TRUE(got == model || got == after || partial)
          << "recovered " << got.entries.size() << " entries, snapshot " << got.snapshot.index
          << "; acknowledged " << model.entries.size() << ", snapshot " << model.snapshot.index;
      model = got;
    }
    term = std::max(term, model.hard_state.term);
    if (!model.entries.empty()) term = std::max(term, model.entries.back().term);
  }
  EXPECT_GT(crashes, 10);
}

TEST(WalRandomCrashTest, AcknowledgedStateSurvivesEveryCrash) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    RunSeed(seed);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace cohort::consensus::wal
