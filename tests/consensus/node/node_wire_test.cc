// The node's wire and snapshot formats: message envelopes, snapshot chunks
// and the snapshot header with the members' addresses.
#include "consensus/node/node_wire.h"

#include <string>

#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::node {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

raft::Message SnapshotHeader() {
  raft::Message m{.type = raft::MessageType::kSnapshot, .from = 1, .to = 2, .term = 5};
  m.snapshot = raft::SnapshotMetadata{.index = 70, .term = 4, .conf_state = {.voters = {1, 2}}};
  return m;
}

TEST(NodeWireTest, MessageEnvelopeRoundTrips) {
  raft::Message m{.type = raft::MessageType::kHeartbeat, .from = 1, .to = 2, .term = 3};
  auto e = DecodeEnvelope(EncodeEnvelope(7, "n1", m));
  ASSERT_THAT(e.status(), IsOk());
  EXPECT_EQ(e->cluster_id, 7u);
  EXPECT_EQ(e->from_address, "n1");
  EXPECT_EQ(e->message, m);
  EXPECT_FALSE(e->chunk.has_value());
}

TEST(NodeWireTest, SnapshotChunkRoundTrips) {
  const SnapshotChunk chunk{
      .offset = 100, .total_bytes = 300, .crc32c = 0xdeadbeef, .data = std::string(50, 'c')};
  const std::string bytes = EncodeSnapshotChunk(7, "n1", SnapshotHeader(), chunk);
  auto e = DecodeEnvelope(bytes);
  ASSERT_THAT(e.status(), IsOk());
  EXPECT_EQ(e->message, SnapshotHeader());
  ASSERT_TRUE(e->chunk.has_value());
  EXPECT_EQ(*e->chunk, chunk);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeEnvelope(bytes.substr(0, n)).status(), StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST(NodeWireTest, ChunkOverrunningTheSnapshotIsRefused) {
  const SnapshotChunk chunk{
      .offset = 280, .total_bytes = 300, .crc32c = 1, .data = std::string(50, 'c')};
  EXPECT_THAT(DecodeEnvelope(EncodeSnapshotChunk(7, "n1", SnapshotHeader(), chunk)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("overruns")));
}

TEST(NodeWireTest, ChunkHeaderMustBeADatalessSnapshot) {
  const SnapshotChunk chunk{.offset = 0, .total_bytes = 1, .crc32c = 1, .data = "x"};
  raft::Message append{.type = raft::MessageType::kAppend, .from = 1, .to = 2};
  EXPECT_THAT(DecodeEnvelope(EncodeSnapshotChunk(7, "n1", append, chunk)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("header")));
  raft::Message with_data = SnapshotHeader();
  with_data.snapshot_data = "x";
  EXPECT_THAT(DecodeEnvelope(EncodeSnapshotChunk(7, "n1", with_data, chunk)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("header")));
}

TEST(NodeWireTest, UnknownFormatIsRefused) {
  std::string bytes = EncodeEnvelope(7, "n1", SnapshotHeader());
  bytes[0] = 3;
  EXPECT_THAT(DecodeEnvelope(bytes).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("format")));
}

TEST(NodeWireTest, NodeSnapshotCarriesAddressesBeforeTheStateMachine) {
  const std::map<raft::NodeId, std::string> addresses = {{1, "n1"}, {4, "10.0.0.4:7001"}};
  const std::string bytes = EncodeNodeSnapshotHeader(addresses) + "state machine bytes";
  auto s = DecodeNodeSnapshot(bytes);
  ASSERT_THAT(s.status(), IsOk());
  EXPECT_EQ(s->addresses, addresses);
  EXPECT_EQ(s->state_machine, "state machine bytes");
  // Bytes written before the header existed are the state machine's alone.
  auto legacy = DecodeNodeSnapshot("plain");
  ASSERT_THAT(legacy.status(), IsOk());
  EXPECT_TRUE(legacy->addresses.empty());
  EXPECT_EQ(legacy->state_machine, "plain");
  // A damaged header is data loss, not state machine bytes.
  std::string damaged = bytes;
  damaged[kNodeSnapshotMagic.size()] = '\x7f';  // header length overruns
  EXPECT_THAT(DecodeNodeSnapshot(damaged).status(), StatusIs(absl::StatusCode::kDataLoss));
  const std::string header = EncodeNodeSnapshotHeader(addresses);
  for (std::size_t n = kNodeSnapshotMagic.size(); n < header.size(); ++n) {
    EXPECT_THAT(DecodeNodeSnapshot(header.substr(0, n)).status(),
                StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
}

}  // namespace
}  // namespace cohort::consensus::node
