// Fuzz target for the Raft message and membership-change decoders, and for
// what nodes wrap them in (node_wire.h): message envelopes, snapshot chunks
// and the node snapshot header.
// Properties: no crash, no allocation beyond the input's size, and whatever
// decodes re-encodes to bytes that decode to the same value.
#include <cstdlib>
#include <string>
#include <string_view>

#include "consensus/node/node_wire.h"
#include "consensus/raft/message_codec.h"
#include "support/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::consensus::raft;  // NOLINT
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto m = DecodeMessage(input); m.ok()) {
    std::string again;
    EncodeMessage(*m, &again);
    auto twice = DecodeMessage(again);
    if (!twice.ok() || !(*twice == *m)) std::abort();
  }
  if (auto c = DecodeConfChange(input); c.ok()) {
    std::string again;
    EncodeConfChange(*c, &again);
    auto twice = DecodeConfChange(again);
    if (!twice.ok() || !(*twice == *c)) std::abort();
  }
  if (auto s = DecodeConfState(input); s.ok()) {
    std::string again;
    EncodeConfState(*s, &again);
    auto twice = DecodeConfState(again);
    if (!twice.ok() || !(*twice == *s)) std::abort();
  }
  namespace node = cohort::consensus::node;
  if (auto e = node::DecodeEnvelope(input); e.ok()) {
    const std::string again =
        e->chunk.has_value()
            ? node::EncodeSnapshotChunk(e->cluster_id, e->from_address, e->message, *e->chunk)
            : node::EncodeEnvelope(e->cluster_id, e->from_address, e->message);
    auto twice = node::DecodeEnvelope(again);
    if (!twice.ok() || twice->cluster_id != e->cluster_id ||
        twice->from_address != e->from_address || !(twice->message == e->message) ||
        twice->chunk != e->chunk) {
      std::abort();
    }
  }
  if (auto s = node::DecodeNodeSnapshot(input); s.ok()) {
    const std::string again =
        node::EncodeNodeSnapshotHeader(s->addresses) + std::string(s->state_machine);
    auto twice = node::DecodeNodeSnapshot(again);
    if (!twice.ok() || twice->addresses != s->addresses ||
        twice->state_machine != s->state_machine) {
      std::abort();
    }
  }
  return 0;
}
