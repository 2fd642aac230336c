// Lock: a distributed mutual-exclusion lock with a time-to-live.
//
// Backends (seed questions 371, 372): the lock service on cohort's Raft log
// (leases with fencing tokens), etcd leases, and Redlock over N independent
// Redis servers (`SET key token NX PX ttl` on a majority, released with an
// atomic check-and-delete). All share these semantics:
//
// - A lock is held through a LockLease for at most its TTL unless refreshed.
//   A holder that stalls (GC pause, partition) longer than the TTL loses the
//   lock WITHOUT being told in time; that is inherent to leases. Protect the
//   resource with the fencing token: it increases every time the lock changes
//   hands, and a resource that remembers the highest token it has seen can
//   refuse writes from a stale holder.
// - Release deletes the lock only if this lease still owns it (compare the
//   owner token, never a blind delete), so an expired holder cannot free a
//   lock that someone else has since taken.
// - validity_deadline() is conservative: the local time of acquisition plus
//   the TTL, minus the time acquiring took and minus the clock-drift allowance
//   of the backend (Redlock: ttl x drift_factor + 2 ms).
//
// Status codes:
//   kFailedPrecondition TryAcquire: held by another owner right now.
//   kDeadlineExceeded   Acquire: not obtained before the deadline.
//   kAborted            the lease was lost (expired, revoked, or another owner
//                       took it); start over from Acquire.
//   kUnavailable        the backend cannot be reached or has no quorum; retry.
//   kInvalidArgument    bad name or options; the message says which.
//   kCancelled          the awaiting coroutine was cancelled; nothing is held.
//
// Thread-safety: Lock and LockLease may be used from any thread, one
// operation at a time per LockLease.
#ifndef COHORT_LOCK_LOCK_H_
#define COHORT_LOCK_LOCK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"

namespace cohort::lock {

struct AcquireOptions {
  // How long the lock is held without a refresh. Must be positive.
  // Default: 30 seconds.
  absl::Duration ttl = absl::Seconds(30);
  // Acquire: give up at this time with kDeadlineExceeded. TryAcquire ignores
  // it. Default: none (wait until cancelled).
  absl::Time deadline = absl::InfiniteFuture();
  // Refresh the lease in the background at ttl/3 intervals until Release().
  // When a refresh fails for good, Lost() completes. Default: true.
  bool auto_refresh = true;
  // Opaque bytes stored with the lock and shown to observers (e.g. the
  // holder's address). Default: empty.
  std::string owner_info{};
};

// Proof of holding a lock. Destroying a lease without Release() stops
// refreshing and releases it in the background (best effort); it otherwise
// expires after its TTL.
class LockLease {
 public:
  virtual ~LockLease() = default;

  // The lock's name.
  virtual const std::string& name() const = 0;

  // Strictly increasing per lock name across all holders, on backends that can
  // provide it (Raft lock service: the log index; etcd: the key's revision).
  // Redlock has no such counter and returns nullopt: do not use Redlock where
  // correctness depends on fencing.
  virtual std::optional<std::uint64_t> fencing_token() const = 0;

  // The latest local time at which this holder may still assume it owns the
  // lock (conservative; see the file comment). Moves forward on refresh.
  virtual absl::Time validity_deadline() const = 0;

  // Extends the lease to `ttl` from now. kAborted if it was already lost.
  virtual Awaitable<absl::Status> Refresh(absl::Duration ttl) = 0;

  // Completes when the lease is known lost (kAborted, with the reason) or
  // released (OK). Use it to stop work that needs the lock.
  virtual Awaitable<absl::Status> Lost() = 0;

  // Releases the lock if this lease still owns it. OK also when it had
  // already expired (nothing to release). Idempotent.
  virtual Awaitable<absl::Status> Release() = 0;
};

// A handle for acquiring one named lock; cheap to create per name. Obtained
// from a backend factory, e.g. OpenLock("redis://h1:6379,h2:6379,h3:6379",
// "lock:email-scheduler", ctx) (arrives with the lock issue).
class Lock {
 public:
  virtual ~Lock() = default;

  // The lock's name, e.g. "lock:email-scheduler".
  virtual const std::string& name() const = 0;

  // Takes the lock if it is free right now; kFailedPrecondition if another
  // owner holds it.
  virtual Awaitable<absl::StatusOr<std::unique_ptr<LockLease>>> TryAcquire(
      const AcquireOptions& options) = 0;

  // Waits until the lock is free and takes it, or until options.deadline.
  // Waiters retry with jittered backoff (Redlock) or queue fairly by revision
  // (Raft, etcd).
  virtual Awaitable<absl::StatusOr<std::unique_ptr<LockLease>>> Acquire(
      const AcquireOptions& options) = 0;
};

}  // namespace cohort::lock

#endif  // COHORT_LOCK_LOCK_H_
