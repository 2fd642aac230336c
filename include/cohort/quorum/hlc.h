// Hybrid logical clock (Kulkarni et al., 2014): timestamps that follow
// physical time closely yet respect causality, for last-write-wins ordering
// across replicas (seed question 374).
//
// A timestamp is (physical nanoseconds, logical counter, node id). Now()
// never goes backwards on one node; Update() moves the clock past any
// timestamp received from another node, so an effect is always stamped later
// than its cause even when clocks disagree. The node id breaks ties, so two
// distinct writes never compare equal.
#ifndef COHORT_QUORUM_HLC_H_
#define COHORT_QUORUM_HLC_H_

#include <compare>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cohort/base/clock.h"

namespace cohort::quorum {

struct HlcTimestamp {
  std::int64_t physical_nanos = 0;  // Unix nanoseconds
  std::uint32_t logical = 0;
  std::uint64_t node_id = 0;

  friend auto operator<=>(const HlcTimestamp&, const HlcTimestamp&) = default;
  std::string ToString() const;
};

// Thread-safe.
class HybridLogicalClock {
 public:
  // `clock` is borrowed and must outlive this object. Remote timestamps more
  // than `max_offset` ahead of the local physical clock are refused: they
  // signal a badly wrong clock, which would otherwise drag every node's time
  // forward. Default max_offset: 500 ms.
  HybridLogicalClock(const Clock& clock, std::uint64_t node_id,
                     absl::Duration max_offset = absl::Milliseconds(500));

  // A timestamp for a local event (a write), greater than every timestamp
  // this clock has issued or seen.
  HlcTimestamp Now();

  // Takes in a timestamp from another node. kOutOfRange if it is more than
  // max_offset ahead of local physical time (the clock is then unchanged).
  absl::Status Update(const HlcTimestamp& remote);

  std::uint64_t node_id() const { return node_id_; }

 private:
  std::int64_t PhysicalNanos() const;

  const Clock& clock_;
  const std::uint64_t node_id_;
  const absl::Duration max_offset_;
  absl::Mutex mu_;
  std::int64_t last_physical_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint32_t last_logical_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cohort::quorum

#endif  // COHORT_QUORUM_HLC_H_
