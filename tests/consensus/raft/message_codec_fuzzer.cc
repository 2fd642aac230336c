// Fuzz target for the Raft message and membership-change decoders, and for
// the envelope nodes wrap messages in (node_wire.h).
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
  if (auto e = cohort::consensus::node::DecodeEnvelope(input); e.ok()) {
    const std::string again =
        cohort::consensus::node::EncodeEnvelope(e->cluster_id, e->from_address, e->message);
    auto twice = cohort::consensus::node::DecodeEnvelope(again);
    if (!twice.ok() || twice->cluster_id != e->cluster_id ||
        twice->from_address != e->from_address || !(twice->message == e->message)) {
      std::abort();
    }
  }
  return 0;
}
