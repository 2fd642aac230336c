#include "consensus/node/node_wire.h"

#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/status.h"
#include "consensus/raft/message_codec.h"

namespace cohort::consensus::node {
namespace {

constexpr std::uint64_t kEnvelopeVersion = 1;

}  // namespace

std::string EncodeEnvelope(std::uint64_t cluster_id, std::string_view from_address,
                           const raft::Message& message) {
  std::string out;
  coding::PutVarint(kEnvelopeVersion, &out);
  coding::PutVarint(cluster_id, &out);
  coding::PutString(from_address, &out);
  std::string body;
  raft::EncodeMessage(message, &body);
  coding::PutString(body, &out);
  return out;
}

absl::StatusOr<Envelope> DecodeEnvelope(std::string_view bytes) {
  coding::Reader reader(bytes, "raft envelope");
  COHORT_ASSIGN_OR_RETURN(std::uint64_t version, reader.Varint("version"));
  if (version != kEnvelopeVersion) {
    return absl::DataLossError(absl::StrCat("raft envelope: unsupported version ", version));
  }
  Envelope envelope;
  COHORT_ASSIGN_OR_RETURN(envelope.cluster_id, reader.Varint("cluster_id"));
  COHORT_ASSIGN_OR_RETURN(std::string_view from, reader.String("from_address"));
  envelope.from_address = std::string(from);
  COHORT_ASSIGN_OR_RETURN(std::string_view body, reader.String("message"));
  COHORT_RETURN_IF_ERROR(reader.ExpectEnd());
  COHORT_ASSIGN_OR_RETURN(envelope.message, raft::DecodeMessage(body));
  return envelope;
}

}  // namespace cohort::consensus::node
