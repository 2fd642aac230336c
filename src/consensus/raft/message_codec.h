// Wire form of Raft messages and of membership changes.
//
//   message := version(=1) type from to term log_term index commit
//              flags(bit0 reject, bit1 has snapshot, bit2 lease read)
//              reject_hint
//              entry_count entry* [snapshot_metadata snapshot_data] context
//   entry   := term index type data
//   change  := transition count (type node)* [address*]   (kConfChange data;
//              one address per change, present when any is non-empty)
//   conf    := count voter* count learner* count outgoing* count learner_next*
//              auto_leave
//
// Integers are unsigned LEB128 varints, strings and byte blobs a varint length
// and the bytes. Integrity is the transport frame's job (it carries a CRC32C);
// this layer rejects anything structurally wrong. Every count and length is
// checked against the bytes that remain before anything is allocated, so a
// hostile message cannot make the decoder allocate more than its own size.
#ifndef COHORT_SRC_CONSENSUS_RAFT_MESSAGE_CODEC_H_
#define COHORT_SRC_CONSENSUS_RAFT_MESSAGE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "consensus/raft/message.h"

namespace cohort::consensus::raft {

inline constexpr std::uint8_t kMessageCodecVersion = 1;

// Appends the encoding of `message` to `out`.
void EncodeMessage(const Message& message, std::string* out);

// Decodes exactly one message occupying all of `bytes`. kDataLoss naming the
// malformed field on truncated, trailing or out-of-range input; the peer that
// sent it is broken (or the frame was corrupted), so drop the connection.
absl::StatusOr<Message> DecodeMessage(std::string_view bytes);

// The payload of a kConfChange entry.
void EncodeConfChange(const ConfChange& change, std::string* out);
// kDataLoss on malformed input (a committed entry that fails to decode means
// the log is corrupt).
absl::StatusOr<ConfChange> DecodeConfChange(std::string_view bytes);

void EncodeConfState(const ConfState& conf, std::string* out);
absl::StatusOr<ConfState> DecodeConfState(std::string_view bytes);

}  // namespace cohort::consensus::raft

#endif  // COHORT_SRC_CONSENSUS_RAFT_MESSAGE_CODEC_H_
