// The follower's side of a snapshot stream: order, duplicates, gaps, the size
// limit, the checksum, and which stream wins.
#include "consensus/node/snapshot_assembler.h"

#include <optional>
#include <string>

#include "cohort/base/crc32c.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::node {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

raft::Message Header(raft::NodeId leader, raft::Term term, raft::Index index) {
  raft::Message m{.type = raft::MessageType::kSnapshot, .from = leader, .to = 9, .term = term};
  m.snapshot = raft::SnapshotMetadata{.index = index, .term = term, .conf_state = {.voters = {1}}};
  return m;
}

SnapshotChunk Chunk(const std::string& whole, std::uint64_t offset, std::uint64_t n) {
  return SnapshotChunk{.offset = offset,
                       .total_bytes = whole.size(),
                       .crc32c = crc32c::Value(whole),
                       .data = whole.substr(offset, n)};
}

const std::string kWhole = "0123456789abcdefghij";  // 20 bytes, chunks of 8

TEST(SnapshotAssemblerTest, AssemblesInOrderAndHandsOutOnlyTheWhole) {
  SnapshotAssembler a(1000);
  const raft::Message h = Header(1, 3, 50);
  auto r = a.Add(h, Chunk(kWhole, 0, 8));
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_FALSE(r->has_value());
  r = a.Add(h, Chunk(kWhole, 8, 8));
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(a.held_bytes(), 16u);
  r = a.Add(h, Chunk(kWhole, 16, 8));
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->snapshot_data, kWhole);
  EXPECT_EQ((*r)->snapshot, h.snapshot);
  EXPECT_EQ((*r)->from, 1u);
  EXPECT_FALSE(a.in_progress());
}

TEST(SnapshotAssemblerTest, DuplicatesAreIgnoredAndARestartedStreamResumes) {
  SnapshotAssembler a(1000);
  const raft::Message h = Header(1, 3, 50);
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 0, 8)).status(), IsOk());
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 8, 8)).status(), IsOk());
  auto dup = a.Add(h, Chunk(kWhole, 0, 8));  // redelivered, or the stream restarted
  ASSERT_THAT(dup.status(), IsOk());
  EXPECT_FALSE(dup->has_value());
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 8, 8)).status(), IsOk());
  EXPECT_EQ(a.held_bytes(), 16u);
  auto last = a.Add(h, Chunk(kWhole, 16, 8));
  ASSERT_THAT(last.status(), IsOk());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->snapshot_data, kWhole);
}

TEST(SnapshotAssemblerTest, AGapIsRefused) {
  SnapshotAssembler a(1000);
  const raft::Message h = Header(1, 3, 50);
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 0, 8)).status(), IsOk());
  EXPECT_THAT(a.Add(h, Chunk(kWhole, 16, 4)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("only 8 bytes")));
  EXPECT_EQ(a.held_bytes(), 8u) << "what was held is kept for a resumed stream";
}

TEST(SnapshotAssemblerTest, AChunkOfAStreamNotStartedIsRefused) {
  SnapshotAssembler a(1000);
  EXPECT_THAT(a.Add(Header(1, 3, 50), Chunk(kWhole, 8, 8)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("offset 0")));
}

TEST(SnapshotAssemblerTest, OversizeIsRefusedBeforeAllocation) {
  SnapshotAssembler a(19);
  EXPECT_THAT(a.Add(Header(1, 3, 50), Chunk(kWhole, 0, 8)).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_snapshot_bytes")));
  EXPECT_FALSE(a.in_progress());
  EXPECT_EQ(a.held_bytes(), 0u);
  // A header claiming an absurd size allocates nothing either.
  SnapshotChunk huge{.offset = 0, .total_bytes = 1ull << 60, .crc32c = 0, .data = "x"};
  EXPECT_THAT(a.Add(Header(1, 3, 50), huge).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(SnapshotAssemblerTest, CorruptedChunkFailsTheChecksumAndIsDiscarded) {
  SnapshotAssembler a(1000);
  const raft::Message h = Header(1, 3, 50);
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 0, 8)).status(), IsOk());
  SnapshotChunk bad = Chunk(kWhole, 8, 8);
  bad.data[3] ^= 0x20;
  ASSERT_THAT(a.Add(h, bad).status(), IsOk());
  EXPECT_THAT(a.Add(h, Chunk(kWhole, 16, 8)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("CRC32C")));
  EXPECT_FALSE(a.in_progress());
  // The leader's next stream starts over and succeeds.
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 0, 8)).status(), IsOk());
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 8, 8)).status(), IsOk());
  auto last = a.Add(h, Chunk(kWhole, 16, 8));
  ASSERT_THAT(last.status(), IsOk());
  ASSERT_TRUE(last->has_value());
}

TEST(SnapshotAssemblerTest, ChunksDisagreeingOnTheWholeAreDataLoss) {
  SnapshotAssembler a(1000);
  const raft::Message h = Header(1, 3, 50);
  ASSERT_THAT(a.Add(h, Chunk(kWhole, 0, 8)).status(), IsOk());
  SnapshotChunk other = Chunk(kWhole, 8, 8);
  other.crc32c ^= 1;
  EXPECT_THAT(a.Add(h, other).status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_FALSE(a.in_progress());
}

TEST(SnapshotAssemblerTest, ANewerLeaderOrSnapshotReplacesAStalePartialOne) {
  SnapshotAssembler a(1000);
  ASSERT_THAT(a.Add(Header(1, 3, 50), Chunk(kWhole, 0, 8)).status(), IsOk());
  // A newer snapshot from the same leader.
  ASSERT_THAT(a.Add(Header(1, 3, 60), Chunk(kWhole, 0, 8)).status(), IsOk());
  // The old stream's next chunk no longer fits.
  EXPECT_THAT(a.Add(Header(1, 3, 50), Chunk(kWhole, 8, 8)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // An older stream cannot displace it.
  EXPECT_THAT(a.Add(Header(1, 3, 50), Chunk(kWhole, 0, 8)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("older")));
  // A new leader (higher term) can, even with a lower snapshot index.
  const std::string other = "the new leader's snapshot";
  ASSERT_THAT(a.Add(Header(2, 4, 55), Chunk(other, 0, 10)).status(), IsOk());
  ASSERT_THAT(a.Add(Header(2, 4, 55), Chunk(other, 10, 10)).status(), IsOk());
  auto last = a.Add(Header(2, 4, 55), Chunk(other, 20, 10));
  ASSERT_THAT(last.status(), IsOk());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->snapshot_data, other);
  EXPECT_EQ((*last)->from, 2u);
  EXPECT_EQ((*last)->snapshot->index, 55u);
}

TEST(SnapshotAssemblerTest, AnEmptySnapshotIsOneChunk) {
  SnapshotAssembler a(1000);
  auto r = a.Add(Header(1, 3, 50), Chunk("", 0, 0));
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_TRUE(r->has_value());
  EXPECT_TRUE((*r)->snapshot_data.empty());
}

}  // namespace
}  // namespace cohort::consensus::node
