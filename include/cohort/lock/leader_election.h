// LeaderElection: at most one leader among many candidates (seed question 371).
//
// Built on the same leases as Lock: the leader holds a lease under the
// election's name and refreshes it; if the leader dies, the lease expires and
// another candidate takes over. Leadership carries a term that increases with
// every change of leader: pass it downstream as a fencing token, so that a
// deposed leader that has not yet noticed cannot act.
//
// Status codes: as in lock.h. kAborted from Leadership::Lost() means the
// leadership ended; campaign again to return.
//
// Thread-safety: thread-safe; one operation at a time per Leadership.
#ifndef COHORT_LOCK_LEADER_ELECTION_H_
#define COHORT_LOCK_LEADER_ELECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort::lock {

struct LeaderInfo {
  // The candidate id that Campaign() was given.
  std::string candidate{};
  // Opaque value the leader published (typically its address).
  std::string value{};
  // Increases with every change of leader; a fencing token.
  std::uint64_t term = 0;
};

struct CampaignOptions {
  // The leader's lease; a dead leader is replaced after at most this long.
  // Default: 15 seconds.
  absl::Duration ttl = absl::Seconds(15);
  // Give up waiting for leadership at this time (kDeadlineExceeded).
  // Default: none.
  absl::Time deadline = absl::InfiniteFuture();
  // Published with the leadership, e.g. "10.0.0.1:8080". Default: empty.
  std::string value{};
};

// Held while this process is the leader.
class Leadership {
 public:
  virtual ~Leadership() = default;

  virtual const LeaderInfo& info() const = 0;

  // Completes when leadership is lost (kAborted) or resigned (OK).
  virtual Awaitable<absl::Status> Lost() = 0;

  // Steps down at once so that another candidate can take over without
  // waiting for the lease to expire. Idempotent.
  virtual Awaitable<absl::Status> Resign() = 0;
};

class LeaderElection {
 public:
  virtual ~LeaderElection() = default;

  // Waits until `candidate` is elected, then returns its Leadership. Keeps
  // refreshing the lease until Resign() or loss.
  virtual Awaitable<absl::StatusOr<std::unique_ptr<Leadership>>> Campaign(
      const std::string& candidate, const CampaignOptions& options) = 0;

  // The current leader, or nullopt if there is none right now.
  virtual Awaitable<absl::StatusOr<std::optional<LeaderInfo>>> Leader() = 0;

  // Waits until the leader differs from `known` (by term) and returns the new
  // one (nullopt: no leader). Pass nullopt to get the current state at once.
  // Observers use it in a loop to follow leadership changes.
  virtual Awaitable<absl::StatusOr<std::optional<LeaderInfo>>> WaitForChange(
      const std::optional<LeaderInfo>& known, absl::Time deadline) = 0;
};

}  // namespace cohort::lock

#endif  // COHORT_LOCK_LEADER_ELECTION_H_
