#include <charconv>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "cohort/consensus/consensus_log.h"

namespace cohort::consensus {
namespace {

// Payload: "<decimal id> <address>". Kept textual so that it survives being
// logged or carried across the RPC layer as a string.
constexpr absl::string_view kLeaderHintUrl = "type.cohort.dev/cohort.consensus.LeaderHint";

}  // namespace

absl::Status WithLeaderHint(absl::Status status, const LeaderHint& hint) {
  if (status.ok()) return status;
  status.SetPayload(kLeaderHintUrl, absl::Cord(absl::StrCat(hint.id, " ", hint.address)));
  return status;
}

std::optional<LeaderHint> LeaderHintOf(const absl::Status& status) {
  auto payload = status.GetPayload(kLeaderHintUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  const auto space = text.find(' ');
  if (space == std::string::npos) return std::nullopt;
  LeaderHint hint;
  auto [end, ec] = std::from_chars(text.data(), text.data() + space, hint.id);
  if (ec != std::errc() || end != text.data() + space) return std::nullopt;
  hint.address = text.substr(space + 1);
  return hint;
}

}  // namespace cohort::consensus
