// The checker must catch each violation it claims to check; a checker that
// never fires would make the simulation's 10,000 passing seeds meaningless.
#include "consensus/raft/sim_checker.h"

#include <memory>

#include "consensus/raft/core.h"
#include "consensus/raft/test_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::raft::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A single-voter group whose only member leads term 2.
std::unique_ptr<Core> LoneLeader(NodeId id) {
  auto core = *Core::Create(testing::TestOptions(id), BootstrapState({id}));
  for (int i = 0; i < 100 && core->role() != CoreRole::kLeader; ++i) {
    while (core->HasReady()) core->OnPersisted(core->TakeReady().persist_mark);
    core->Tick();
  }
  while (core->HasReady()) core->OnPersisted(core->TakeReady().persist_mark);
  return core;
}

TEST(SimCheckerTest, CatchesTwoLeadersInOneTerm) {
  auto a = LoneLeader(1);
  auto b = LoneLeader(2);
  ASSERT_EQ(a->term(), b->term());
  Checker checker;
  EXPECT_THAT(checker.CheckMember(*a), IsEmpty());
  EXPECT_THAT(checker.CheckMember(*b), HasSubstr("election safety"));
}

TEST(SimCheckerTest, CatchesDifferentEntriesAtTheSameIndexAndTerm) {
  auto a = LoneLeader(1);
  Checker checker;
  EXPECT_THAT(checker.OnAppended(*a, {.term = 2, .index = 2, .data = "x"}), IsEmpty());
  EXPECT_THAT(checker.OnAppended(*a, {.term = 2, .index = 2, .data = "x"}), IsEmpty());
  EXPECT_THAT(checker.OnAppended(*a, {.term = 2, .index = 2, .data = "y"}),
              HasSubstr("log matching"));
}

TEST(SimCheckerTest, CatchesDivergentStateMachines) {
  auto a = LoneLeader(1);
  Checker checker;
  EXPECT_THAT(checker.OnApplied(*a, {.term = 1, .index = 1, .data = "x"}, 7), IsEmpty());
  EXPECT_THAT(checker.OnApplied(*a, {.term = 1, .index = 1, .data = "y"}, 8),
              HasSubstr("state machine safety"));
  EXPECT_THAT(checker.OnRestored(2, 1, 9), HasSubstr("different state"));
  EXPECT_THAT(checker.OnRestored(2, 5, 9), HasSubstr("nobody applied"));
}

TEST(SimCheckerTest, CatchesALeaderMissingACommittedEntry) {
  Checker checker;
  auto a = LoneLeader(1);
  // Pretend entry 2 of term 1 was committed (known in term 1); a leader of
  // term 2 whose entry 2 has another term must be reported.
  auto follower = *Core::Create(testing::TestOptions(3), BootstrapState({3}));
  ASSERT_EQ(follower->term(), 1u);
  EXPECT_THAT(checker.OnApplied(*follower, {.term = 1, .index = 2}, 1), IsEmpty());
  ASSERT_EQ(a->term(), 2u);
  EXPECT_THAT(checker.CheckMember(*a), HasSubstr("leader completeness"));
}

TEST(SimCheckerTest, CatchesAStaleRead) {
  Checker checker;
  checker.OnReadIssued("r", 10);
  EXPECT_THAT(checker.OnReadState(1, {.context = "r", .index = 9, .ok = true}),
              HasSubstr("linearizable read"));
  EXPECT_THAT(checker.OnReadState(1, {.context = "r", .index = 9, .ok = false}), IsEmpty());
  EXPECT_THAT(checker.OnReadState(1, {.context = "r", .index = 10, .ok = true}), IsEmpty());
}

}  // namespace
}  // namespace cohort::consensus::raft::sim
