// The envelope of a Raft message between nodes (the body of a raft.Step
// call):
//
//   envelope := varint version(=1) varint cluster_id string from_address
//               string message   (message_codec.h)
//
// The sender's address lets members added later be reached without a
// separate address book; the cluster id keeps members of two groups that
// share addresses (a reused port) from mixing their logs.
#ifndef COHORT_SRC_CONSENSUS_NODE_NODE_WIRE_H_
#define COHORT_SRC_CONSENSUS_NODE_NODE_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "consensus/raft/message.h"

namespace cohort::consensus::node {

struct Envelope {
  std::uint64_t cluster_id = 0;
  std::string from_address{};
  raft::Message message{};
};

std::string EncodeEnvelope(std::uint64_t cluster_id, std::string_view from_address,
                           const raft::Message& message);
// kDataLoss naming the malformed field.
absl::StatusOr<Envelope> DecodeEnvelope(std::string_view bytes);

}  // namespace cohort::consensus::node

#endif  // COHORT_SRC_CONSENSUS_NODE_NODE_WIRE_H_
