// Snapshots streamed to a lagging follower in chunks: many chunks, a lossy
// and duplicating network, a leader change mid-stream, and a follower that
// refuses a snapshot above its limit.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/testing/status_matchers.h"
#include "consensus/node/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

const int kSeeds = SeedCount(6);
constexpr std::uint64_t kChunk = 256;

void SmallChunks(RaftNodeOptions& o) {
  o.snapshot_threshold = 10;
  o.snapshot_chunk_bytes = kChunk;
}

// Commands whose snapshot spans about 25 chunks.
std::vector<std::string> Commands(std::string_view prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < 60; ++i) {
    out.push_back(absl::StrCat(absl::string_view(prefix.data(), prefix.size()), i, ":",
                               std::string(100, 'x')));
  }
  return out;
}

struct Lagging {
  std::uint64_t leader = 0;
  std::uint64_t lagging = 0;
  std::uint64_t last = 0;
  std::vector<std::string> commands;
};

// Crashes a follower, commits (and compacts) enough for a multi-chunk
// snapshot without it.
Lagging CommitWithoutOne(TestCluster& c) {
  Lagging l;
  l.leader = c.WaitForLeader();
  EXPECT_NE(l.leader, 0u);
  if (l.leader == 0) return l;
  l.lagging = l.leader % 3 + 1;
  c.Crash(l.lagging);
  l.commands = Commands("s");
  for (const auto& r : c.ProposeMany(l.leader, l.commands)) {
    EXPECT_THAT(r.status(), IsOk());
    if (r.ok()) l.last = std::max(l.last, r->index);
  }
  c.RunFor(absl::Seconds(1));
  EXPECT_GT(c.node(l.leader)->Status().snapshot_index, 10u);
  return l;
}

TEST(RaftNodeSnapshotStream, OptionsBoundChunkAndSnapshotSizes) {
  RaftNodeOptions o;
  o.id = 1;
  o.cluster_id = 1;
  o.data_dir = "/d";
  ASSERT_THAT(o.Validate(), IsOk());
  EXPECT_EQ(o.snapshot_chunk_bytes, 1u << 20);
  o.snapshot_chunk_bytes = kMinSnapshotChunkBytes - 1;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("snapshot_chunk_bytes must be in [64, ")));
  o.snapshot_chunk_bytes = kMaxSnapshotChunkBytes + 1;
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("snapshot_chunk_bytes")));
  o.snapshot_chunk_bytes = kMinSnapshotChunkBytes;
  ASSERT_THAT(o.Validate(), IsOk());
  o.max_snapshot_bytes = 0;
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_snapshot_bytes")));
}

TEST(RaftNodeSnapshotStream, LaggingFollowerReceivesAMultiChunkSnapshot) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, SmallChunks);
    ASSERT_THAT(c.StartAll(), IsOk());
    Lagging l = CommitWithoutOne(c);
    ASSERT_NE(l.leader, 0u);
    ASSERT_THAT(c.Start(l.lagging), IsOk());
    ASSERT_TRUE(c.WaitForApplied(l.last));
    EXPECT_GE(c.sm(l.lagging).restores(), 1u) << "caught up without the snapshot";
    EXPECT_EQ(c.sm(l.lagging).commands(), l.commands);
  }
}

TEST(RaftNodeSnapshotStream, SurvivesLostDuplicatedAndReorderedChunks) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, SmallChunks);
    ASSERT_THAT(c.StartAll(), IsOk());
    Lagging l = CommitWithoutOne(c);
    ASSERT_NE(l.leader, 0u);
    transport::LinkOptions lossy{.min_delay = absl::Milliseconds(1),
                                 .max_delay = absl::Milliseconds(40),
                                 .loss = 0.05,
                                 .duplicate = 0.3};
    ASSERT_THAT(c.net().SetDefaultLink(lossy), IsOk());
    ASSERT_THAT(c.Start(l.lagging), IsOk());
    ASSERT_TRUE(c.WaitForApplied(l.lagging, l.last, absl::Seconds(120)));
    EXPECT_GE(c.sm(l.lagging).restores(), 1u);
    EXPECT_EQ(c.sm(l.lagging).commands(), l.commands);
  }
}

TEST(RaftNodeSnapshotStream, LeaderChangeMidStreamEndsWithTheNewLeadersSnapshot) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, SmallChunks);
    ASSERT_THAT(c.StartAll(), IsOk());
    Lagging l = CommitWithoutOne(c);
    ASSERT_NE(l.leader, 0u);
    // Slow chunks from the leader: the stream takes about a second.
    transport::LinkOptions slow{.min_delay = absl::Milliseconds(30),
                                .max_delay = absl::Milliseconds(40)};
    ASSERT_THAT(
        c.net().SetLink(TestCluster::Address(l.leader), TestCluster::Address(l.lagging), slow),
        IsOk());
    ASSERT_THAT(c.Start(l.lagging), IsOk());
    c.RunFor(absl::Milliseconds(600));
    ASSERT_EQ(c.sm(l.lagging).restores(), 0u) << "the stream finished before the crash";
    c.Crash(l.leader);
    const std::uint64_t next = c.WaitForLeader();
    ASSERT_NE(next, 0u);
    ASSERT_NE(next, l.leader);
    auto after = c.Propose(next, "after");
    ASSERT_THAT(after.status(), IsOk());
    ASSERT_TRUE(c.WaitForApplied(after->index));
    std::vector<std::string> expected = l.commands;
    expected.push_back("after");
    EXPECT_GE(c.sm(l.lagging).restores(), 1u);
    EXPECT_EQ(c.sm(l.lagging).commands(), expected);
  }
}

TEST(RaftNodeSnapshotStream, OversizeSnapshotIsRefusedAndTheClusterKeepsServing) {
  TestCluster c(3, 11, SmallChunks);
  ASSERT_THAT(c.StartAll(), IsOk());
  Lagging l = CommitWithoutOne(c);
  ASSERT_NE(l.leader, 0u);
  RaftNodeOptions tight = c.OptionsFor(l.lagging);
  tight.max_snapshot_bytes = 1024;  // the snapshot is about 6 KiB
  ASSERT_THAT(c.StartWith(l.lagging, tight), IsOk());
  c.RunFor(absl::Seconds(3));
  EXPECT_EQ(c.sm(l.lagging).restores(), 0u);
  EXPECT_LT(c.node(l.lagging)->Status().applied_index, l.last);
  auto more = c.Propose(l.leader, "still serving");
  ASSERT_THAT(more.status(), IsOk());
  // Given room, the same member catches up.
  c.Stop(l.lagging);
  ASSERT_THAT(c.Start(l.lagging), IsOk());
  ASSERT_TRUE(c.WaitForApplied(more->index));
  std::vector<std::string> expected = l.commands;
  expected.push_back("still serving");
  EXPECT_EQ(c.sm(l.lagging).commands(), expected);
}

}  // namespace
}  // namespace cohort::consensus::testing
