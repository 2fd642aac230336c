#include "cohort/quorum/hlc.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cohort::quorum {

std::string HlcTimestamp::ToString() const {
  return absl::StrCat(physical_nanos, ".", logical, "@", node_id);
}

HybridLogicalClock::HybridLogicalClock(const Clock& clock, std::uint64_t node_id,
                                       absl::Duration max_offset)
    : clock_(clock), node_id_(node_id), max_offset_(max_offset) {}

std::int64_t HybridLogicalClock::PhysicalNanos() const {
  return absl::ToUnixNanos(clock_.Now());
}

HlcTimestamp HybridLogicalClock::Now() {
  const std::int64_t physical = PhysicalNanos();
  absl::MutexLock lock(&mu_);
  if (physical > last_physical_) {
    last_physical_ = physical;
    last_logical_ = 0;
  } else {
    ++last_logical_;
  }
  return HlcTimestamp{last_physical_, last_logical_, node_id_};
}

absl::Status HybridLogicalClock::Update(const HlcTimestamp& remote) {
  const std::int64_t physical = PhysicalNanos();
  if (remote.physical_nanos - physical > absl::ToInt64Nanoseconds(max_offset_)) {
    return absl::OutOfRangeError(absl::StrCat(
        "remote timestamp ", remote.ToString(), " is ",
        absl::FormatDuration(absl::Nanoseconds(remote.physical_nanos - physical)),
        " ahead of the local clock, beyond the allowed offset of ",
        absl::FormatDuration(max_offset_), "; check the clocks of node ", remote.node_id));
  }
  absl::MutexLock lock(&mu_);
  const std::int64_t next = std::max({last_physical_, remote.physical_nanos, physical});
  if (next == last_physical_ && next == remote.physical_nanos) {
    last_logical_ = std::max(last_logical_, remote.logical) + 1;
  } else if (next == last_physical_) {
    ++last_logical_;
  } else if (next == remote.physical_nanos) {
    last_logical_ = remote.logical + 1;
  } else {
    last_logical_ = 0;
  }
  last_physical_ = next;
  return absl::OkStatus();
}

}  // namespace cohort::quorum
