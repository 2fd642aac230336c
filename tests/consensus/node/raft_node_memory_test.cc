// Memory bounds: the log the core holds in memory is compacted by bytes as
// well as by entry count.
#include <string>

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

const int kSeeds = SeedCount(5);

// 40 commands of 200 bytes: 8000 bytes, far below any entry-count trigger.
std::vector<std::string> BigCommands() {
  std::vector<std::string> commands;
  for (int i = 0; i < 40; ++i) commands.push_back(absl::StrCat(i, ":", std::string(200, 'b')));
  return commands;
}

void RunAndCheckSnapshots(std::uint64_t snapshot_bytes, bool expect_snapshot) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    TestCluster c(3, seed, [snapshot_bytes](RaftNodeOptions& o) {
      o.snapshot_threshold = 1'000'000;
      o.snapshot_bytes = snapshot_bytes;
    });
    ASSERT_THAT(c.StartAll(), IsOk());
    const std::uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    const std::vector<std::string> commands = BigCommands();
    const absl::StatusOr<std::uint64_t> proposed = c.ProposeAll(leader, commands);
    ASSERT_THAT(proposed.status(), IsOk());
    const std::uint64_t last = *proposed;
    ASSERT_TRUE(c.WaitForApplied(last));
    c.RunFor(absl::Seconds(1));
    for (std::uint64_t id = 1; id <= 3; ++id) {
      const std::uint64_t snapshot = c.node(id)->Status().snapshot_index;
      if (expect_snapshot) {
        EXPECT_GT(snapshot, 0u) << "member " << id;
      } else {
        EXPECT_EQ(snapshot, 0u) << "member " << id;
      }
      EXPECT_EQ(c.sm(id).commands(), commands) << "member " << id;
    }
  }
}

TEST(RaftNodeMemory, AppliedBytesTriggerASnapshot) { RunAndCheckSnapshots(2000, true); }

TEST(RaftNodeMemory, BelowBothLimitsNoSnapshot) { RunAndCheckSnapshots(1 << 20, false); }

TEST(RaftNodeMemory, LimitsMustBePositive) {
  RaftNodeOptions o;
  o.id = 1;
  o.cluster_id = 1;
  o.data_dir = "/tmp/unused";
  o.snapshot_bytes = 0;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("snapshot_bytes")));
  o.snapshot_bytes = 1;
  o.max_inflight_appends = 0;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("max_inflight_appends")));
}

}  // namespace
}  // namespace cohort::consensus::testing
