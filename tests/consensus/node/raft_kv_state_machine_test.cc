// The raft_kv state machine: operations, idempotent retries, snapshots.
#include <cstring>
#include <string>

#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kv_codec.h"
#include "kv_state_machine.h"

namespace raft_kv {
namespace {

using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;

class Buffer final : public cohort::consensus::ByteSink, public cohort::consensus::ByteSource {
 public:
  absl::Status Append(std::string_view data) override {
    bytes.append(data);
    return absl::OkStatus();
  }
  absl::StatusOr<std::size_t> Read(std::span<char> buffer) override {
    const std::size_t n = std::min(buffer.size(), bytes.size() - pos);
    std::memcpy(buffer.data(), bytes.data() + pos, n);
    pos += n;
    return n;
  }
  std::string bytes;
  std::size_t pos = 0;
};

absl::StatusOr<std::string> Apply(KvStateMachine& sm, const Request& r, std::uint64_t index) {
  const std::string command = EncodeRequest(r);
  return sm.Apply({.index = index, .term = 1, .command = command});
}

TEST(KvStateMachine, PutCasDeleteAndRetries) {
  KvStateMachine sm;
  EXPECT_THAT(Apply(sm, {.op = Op::kPut, .client = 1, .seq = 1, .key = "k", .value = "a"}, 1),
              IsOkAndHolds("ok"));
  EXPECT_EQ(sm.Get("k"), "a");
  Request cas{.op = Op::kCas, .client = 1, .seq = 2, .key = "k", .value = "b", .expected = "x"};
  EXPECT_THAT(Apply(sm, cas, 2), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The same request retried: answered the same way, not re-evaluated.
  EXPECT_THAT(Apply(sm, cas, 3), StatusIs(absl::StatusCode::kFailedPrecondition));
  cas.seq = 3;
  cas.expected = "a";
  EXPECT_THAT(Apply(sm, cas, 4), IsOkAndHolds("ok"));
  EXPECT_EQ(sm.Get("k"), "b");
  Request put{.op = Op::kPut, .client = 2, .seq = 1, .key = "k", .value = "c"};
  EXPECT_THAT(Apply(sm, put, 5), IsOkAndHolds("ok"));
  Request del{.op = Op::kDelete, .client = 1, .seq = 4, .key = "k"};
  EXPECT_THAT(Apply(sm, del, 6), IsOkAndHolds("deleted"));
  // Client 2 retries its put after the delete: applied once only.
  EXPECT_THAT(Apply(sm, put, 7), IsOkAndHolds("ok"));
  EXPECT_EQ(sm.Get("k"), std::nullopt);
  EXPECT_THAT(sm.Apply({.index = 8, .term = 1, .command = "junk"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KvStateMachine, SnapshotRestoresDataAndSessions) {
  KvStateMachine sm;
  Request put{.op = Op::kPut, .client = 9, .seq = 5, .key = "x", .value = "1"};
  ASSERT_THAT(Apply(sm, put, 1), IsOkAndHolds("ok"));
  auto writer = sm.Snapshot();
  ASSERT_TRUE(writer.ok());
  Buffer buffer;
  ASSERT_TRUE((*writer)->WriteTo(buffer).ok());
  KvStateMachine copy;
  ASSERT_TRUE(copy.Restore(buffer).ok());
  EXPECT_EQ(copy.Get("x"), "1");
  put.value = "2";
  EXPECT_THAT(Apply(copy, put, 2), IsOkAndHolds("ok"));
  EXPECT_EQ(copy.Get("x"), "1");  // A retry of seq 5: not applied again.
  Buffer bad;
  bad.bytes = "xx";
  EXPECT_THAT(copy.Restore(bad), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace raft_kv
