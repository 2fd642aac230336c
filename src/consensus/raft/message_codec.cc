#include "consensus/raft/message_codec.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/status.h"

namespace cohort::consensus::raft {
namespace {

using coding::PutString;
using coding::PutVarint;
using coding::Reader;

constexpr std::uint64_t kFlagReject = 1;
constexpr std::uint64_t kFlagSnapshot = 2;
constexpr std::uint64_t kFlagLeaseRead = 4;
// The smallest encoded entry: four one-byte varints and an empty data blob.
constexpr std::size_t kMinEntryBytes = 4;

void PutIds(const std::vector<NodeId>& ids, std::string* out) {
  PutVarint(ids.size(), out);
  for (NodeId id : ids) PutVarint(id, out);
}

void PutConfState(const ConfState& conf, std::string* out) {
  PutIds(conf.voters, out);
  PutIds(conf.learners, out);
  PutIds(conf.voters_outgoing, out);
  PutIds(conf.learners_next, out);
  PutVarint(conf.auto_leave ? 1 : 0, out);
}

// Reads a count that announces at least `min_bytes` bytes per item and
// refuses one the remaining input cannot hold, before anything is reserved.
absl::StatusOr<std::uint64_t> Count(Reader& in, std::size_t remaining, std::size_t min_bytes,
                                    const char* field) {
  COHORT_ASSIGN_OR_RETURN(std::uint64_t count, in.Varint(field));
  if (count > remaining / min_bytes) {
    return absl::DataLossError(absl::StrCat("Raft message: ", field, " ", count,
                                            " exceeds what the remaining ", remaining,
                                            " bytes can hold"));
  }
  return count;
}

absl::StatusOr<bool> Flag(Reader& in, const char* field) {
  COHORT_ASSIGN_OR_RETURN(std::uint64_t v, in.Varint(field));
  if (v > 1) {
    return absl::DataLossError(absl::StrCat("Raft message: ", field, " must be 0 or 1, got ", v));
  }
  return v == 1;
}

absl::StatusOr<std::vector<NodeId>> Ids(Reader& in, std::size_t remaining, const char* field) {
  COHORT_ASSIGN_OR_RETURN(std::uint64_t count, Count(in, remaining, 1, field));
  std::vector<NodeId> ids;
  ids.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    COHORT_ASSIGN_OR_RETURN(std::uint64_t id, in.Varint(field));
    ids.push_back(id);
  }
  return ids;
}

// `remaining` is an upper bound of the unread bytes (the whole input).
absl::StatusOr<ConfState> ReadConfState(Reader& in, std::size_t remaining) {
  ConfState conf;
  COHORT_ASSIGN_OR_RETURN(conf.voters, Ids(in, remaining, "voter count"));
  COHORT_ASSIGN_OR_RETURN(conf.learners, Ids(in, remaining, "learner count"));
  COHORT_ASSIGN_OR_RETURN(conf.voters_outgoing, Ids(in, remaining, "outgoing voter count"));
  COHORT_ASSIGN_OR_RETURN(conf.learners_next, Ids(in, remaining, "next learner count"));
  COHORT_ASSIGN_OR_RETURN(conf.auto_leave, Flag(in, "auto_leave"));
  return conf;
}

}  // namespace

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kAppend: return "Append";
    case MessageType::kAppendResp: return "AppendResp";
    case MessageType::kVote: return "Vote";
    case MessageType::kVoteResp: return "VoteResp";
    case MessageType::kPreVote: return "PreVote";
    case MessageType::kPreVoteResp: return "PreVoteResp";
    case MessageType::kHeartbeat: return "Heartbeat";
    case MessageType::kHeartbeatResp: return "HeartbeatResp";
    case MessageType::kSnapshot: return "Snapshot";
    case MessageType::kTimeoutNow: return "TimeoutNow";
    case MessageType::kReadIndex: return "ReadIndex";
    case MessageType::kReadIndexResp: return "ReadIndexResp";
  }
  return "Unknown";
}

void EncodeMessage(const Message& m, std::string* out) {
  PutVarint(kMessageCodecVersion, out);
  PutVarint(static_cast<std::uint64_t>(m.type), out);
  PutVarint(m.from, out);
  PutVarint(m.to, out);
  PutVarint(m.term, out);
  PutVarint(m.log_term, out);
  PutVarint(m.index, out);
  PutVarint(m.commit, out);
  PutVarint((m.reject ? kFlagReject : 0) | (m.snapshot.has_value() ? kFlagSnapshot : 0) |
                (m.lease_read ? kFlagLeaseRead : 0),
            out);
  PutVarint(m.reject_hint, out);
  PutVarint(m.entries.size(), out);
  for (const Entry& e : m.entries) {
    PutVarint(e.term, out);
    PutVarint(e.index, out);
    PutVarint(static_cast<std::uint64_t>(e.type), out);
    PutString(e.data, out);
  }
  if (m.snapshot.has_value()) {
    PutVarint(m.snapshot->index, out);
    PutVarint(m.snapshot->term, out);
    PutConfState(m.snapshot->conf_state, out);
    PutString(m.snapshot_data, out);
  }
  PutString(m.context, out);
}

absl::StatusOr<Message> DecodeMessage(std::string_view bytes) {
  Reader in(bytes, "Raft message");
  COHORT_ASSIGN_OR_RETURN(std::uint64_t version, in.Varint("version"));
  if (version != kMessageCodecVersion) {
    return absl::DataLossError(absl::StrCat("Raft message: unsupported version ", version,
                                            " (this build reads ", kMessageCodecVersion, ")"));
  }
  Message m;
  COHORT_ASSIGN_OR_RETURN(std::uint64_t type, in.Varint("type"));
  if (type < 1 || type > static_cast<std::uint64_t>(kMaxMessageType)) {
    return absl::DataLossError(absl::StrCat("Raft message: unknown type ", type));
  }
  m.type = static_cast<MessageType>(type);
  COHORT_ASSIGN_OR_RETURN(m.from, in.Varint("from"));
  COHORT_ASSIGN_OR_RETURN(m.to, in.Varint("to"));
  COHORT_ASSIGN_OR_RETURN(m.term, in.Varint("term"));
  COHORT_ASSIGN_OR_RETURN(m.log_term, in.Varint("log_term"));
  COHORT_ASSIGN_OR_RETURN(m.index, in.Varint("index"));
  COHORT_ASSIGN_OR_RETURN(m.commit, in.Varint("commit"));
  COHORT_ASSIGN_OR_RETURN(std::uint64_t flags, in.Varint("flags"));
  if ((flags & ~(kFlagReject | kFlagSnapshot | kFlagLeaseRead)) != 0) {
    return absl::DataLossError(absl::StrCat("Raft message: unknown flags ", flags));
  }
  m.reject = (flags & kFlagReject) != 0;
  m.lease_read = (flags & kFlagLeaseRead) != 0;
  COHORT_ASSIGN_OR_RETURN(m.reject_hint, in.Varint("reject_hint"));
  COHORT_ASSIGN_OR_RETURN(std::uint64_t count,
                          Count(in, bytes.size(), kMinEntryBytes, "entry count"));
  m.entries.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Entry e;
    COHORT_ASSIGN_OR_RETURN(e.term, in.Varint("entry term"));
    COHORT_ASSIGN_OR_RETURN(e.index, in.Varint("entry index"));
    COHORT_ASSIGN_OR_RETURN(std::uint64_t entry_type, in.Varint("entry type"));
    if (entry_type > static_cast<std::uint64_t>(EntryType::kConfChange)) {
      return absl::DataLossError(absl::StrCat("Raft message: unknown entry type ", entry_type));
    }
    e.type = static_cast<EntryType>(entry_type);
    COHORT_ASSIGN_OR_RETURN(std::string_view data, in.String("entry data"));
    e.data.assign(data.data(), data.size());
    m.entries.push_back(std::move(e));
  }
  if ((flags & kFlagSnapshot) != 0) {
    SnapshotMetadata meta;
    COHORT_ASSIGN_OR_RETURN(meta.index, in.Varint("snapshot index"));
    COHORT_ASSIGN_OR_RETURN(meta.term, in.Varint("snapshot term"));
    COHORT_ASSIGN_OR_RETURN(meta.conf_state, ReadConfState(in, bytes.size()));
    COHORT_ASSIGN_OR_RETURN(std::string_view data, in.String("snapshot data"));
    m.snapshot = std::move(meta);
    m.snapshot_data.assign(data.data(), data.size());
  }
  COHORT_ASSIGN_OR_RETURN(std::string_view context, in.String("context"));
  m.context.assign(context.data(), context.size());
  COHORT_RETURN_IF_ERROR(in.ExpectEnd());
  return m;
}

void EncodeConfChange(const ConfChange& change, std::string* out) {
  PutVarint(static_cast<std::uint64_t>(change.transition), out);
  PutVarint(change.changes.size(), out);
  for (const ConfChangeSingle& c : change.changes) {
    PutVarint(static_cast<std::uint64_t>(c.type), out);
    PutVarint(c.node, out);
  }
  // Addresses trail the changes, and only when one is known, so that changes
  // encoded before addresses existed decode unchanged.
  bool addresses = false;
  for (const ConfChangeSingle& c : change.changes) addresses |= !c.address.empty();
  if (!addresses) return;
  for (const ConfChangeSingle& c : change.changes) PutString(c.address, out);
}

absl::StatusOr<ConfChange> DecodeConfChange(std::string_view bytes) {
  Reader in(bytes, "Raft conf change");
  ConfChange change;
  COHORT_ASSIGN_OR_RETURN(std::uint64_t transition, in.Varint("transition"));
  if (transition > static_cast<std::uint64_t>(ConfTransition::kJointExplicit)) {
    return absl::DataLossError(absl::StrCat("Raft conf change: unknown transition ", transition));
  }
  change.transition = static_cast<ConfTransition>(transition);
  COHORT_ASSIGN_OR_RETURN(std::uint64_t count, Count(in, bytes.size(), 2, "change count"));
  change.changes.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    ConfChangeSingle c;
    COHORT_ASSIGN_OR_RETURN(std::uint64_t type, in.Varint("change type"));
    if (type > static_cast<std::uint64_t>(ConfChangeType::kRemoveNode)) {
      return absl::DataLossError(absl::StrCat("Raft conf change: unknown change type ", type));
    }
    c.type = static_cast<ConfChangeType>(type);
    COHORT_ASSIGN_OR_RETURN(c.node, in.Varint("node"));
    change.changes.push_back(c);
  }
  if (!in.ExpectEnd().ok()) {
    for (ConfChangeSingle& c : change.changes) {
      COHORT_ASSIGN_OR_RETURN(std::string_view address, in.String("address"));
      c.address.assign(address.data(), address.size());
    }
  }
  COHORT_RETURN_IF_ERROR(in.ExpectEnd());
  return change;
}

void EncodeConfState(const ConfState& conf, std::string* out) { PutConfState(conf, out); }

absl::StatusOr<ConfState> DecodeConfState(std::string_view bytes) {
  Reader in(bytes, "Raft conf state");
  COHORT_ASSIGN_OR_RETURN(ConfState conf, ReadConfState(in, bytes.size()));
  COHORT_RETURN_IF_ERROR(in.ExpectEnd());
  return conf;
}

}  // namespace cohort::consensus::raft
