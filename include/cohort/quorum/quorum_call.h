// Quorum fan-out (seed questions 379, 374): send one request to N replicas in
// parallel and finish as soon as W of them succeed.
//
//   cohort::quorum::QuorumOptions options{.required = 2,
//                                         .deadline = clock.Now() + absl::Seconds(1)};
//   auto result = co_await cohort::quorum::QuorumCall<Version>(
//       clock, replicas.size(),
//       [&](std::size_t i) { return replicas[i]->Write(key, value); }, options);
//
// Semantics:
// - Completes OK the moment `required` calls have succeeded; calls still in
//   flight are cancelled through their cancellation slots (they observe
//   kCancelled) and the result records them as kCancelled.
// - Fails fast with kUnavailable the moment `required` successes have become
//   impossible (too many replicas failed), naming each failure.
// - Fails with kDeadlineExceeded at `deadline`, cancelling whatever is still
//   in flight; kCancelled if the awaiting coroutine is cancelled.
// - Hedging (optional): start with only `required` calls; after a delay
//   without a quorum, or at once when a call fails, start a spare call to the
//   next replica. The delay is fixed, or a percentile of recent latencies.
//
// Thread-safety: the function is a coroutine for one executor; `call` is
// invoked on the awaiting coroutine's executor. Lifetime: `call` and what it
// captures must outlive every call it starts, including cancelled ones, which
// may finish after QuorumCall has returned (capture by value or shared_ptr).
#ifndef COHORT_QUORUM_QUORUM_CALL_H_
#define COHORT_QUORUM_QUORUM_CALL_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/quorum/latency_tracker.h"

namespace cohort::quorum {

struct HedgingOptions {
  // Start a spare call when no quorum has formed this long after the last
  // call started. Zero disables hedging: all N calls start at once.
  // Default: zero.
  absl::Duration delay = absl::ZeroDuration();
  // When set and it holds enough samples, the delay is this tracker's
  // `percentile` latency instead of `delay` (which then serves until the
  // tracker warms up). QuorumCall records every success's latency into it.
  // Borrowed; must outlive the call. Default: none.
  LatencyTracker* tracker = nullptr;
  // In (0, 1]. Default: 0.95.
  double percentile = 0.95;
};

struct QuorumOptions {
  // W: successes needed, 1 <= required <= N. Required.
  std::size_t required = 0;
  // Default: none.
  absl::Time deadline = absl::InfiniteFuture();
  // Default: no hedging.
  HedgingOptions hedging{};
};

enum class ReplicaState {
  kNotContacted,  // never started (hedging needed no spare)
  kSucceeded,
  kFailed,
  kCancelled,     // started, then cancelled once the outcome was decided
};

struct ReplicaOutcome {
  ReplicaState state = ReplicaState::kNotContacted;
  // The call's error for kFailed; OK otherwise.
  absl::Status status{};
  // Time from start to answer, for kSucceeded and kFailed.
  absl::Duration latency = absl::ZeroDuration();
};

template <typename T>
struct QuorumResult {
  // (replica index, value) in the order the successes arrived; at least
  // `required` entries.
  std::vector<std::pair<std::size_t, T>> values{};
  // One entry per replica, by index.
  std::vector<ReplicaOutcome> replicas{};
};

namespace internal {

// The type-erased engine: `call(i)` starts replica i and returns its status;
// values are stored by the typed wrapper.
Awaitable<absl::StatusOr<std::vector<ReplicaOutcome>>> RunQuorum(
    Clock& clock, std::size_t replicas,
    std::function<Awaitable<absl::Status>(std::size_t)> call, const QuorumOptions& options,
    std::shared_ptr<std::vector<std::size_t>> success_order);

absl::Status ValidateQuorumOptions(std::size_t replicas, const QuorumOptions& options);

}  // namespace internal

// Calls `call(i)` for replicas i in [0, replicas); see the file comment.
// kInvalidArgument for required == 0, required > replicas, or a bad hedging
// percentile.
template <typename T>
Awaitable<absl::StatusOr<QuorumResult<T>>> QuorumCall(
    Clock& clock, std::size_t replicas,
    std::function<Awaitable<absl::StatusOr<T>>(std::size_t)> call,
    const QuorumOptions& options) {
  if (absl::Status s = internal::ValidateQuorumOptions(replicas, options); !s.ok()) {
    co_return s;
  }
  // Shared with calls that may finish after this coroutine returns.
  auto values = std::make_shared<std::vector<std::optional<T>>>(replicas);
  auto order = std::make_shared<std::vector<std::size_t>>();
  auto erased = [values, call = std::move(call)](std::size_t i) -> Awaitable<absl::Status> {
    absl::StatusOr<T> result = co_await call(i);
    if (!result.ok()) co_return result.status();
    (*values)[i].emplace(*std::move(result));
    co_return absl::OkStatus();
  };
  absl::StatusOr<std::vector<ReplicaOutcome>> outcomes =
      co_await internal::RunQuorum(clock, replicas, std::move(erased), options, order);
  if (!outcomes.ok()) co_return outcomes.status();
  QuorumResult<T> result;
  result.replicas = *std::move(outcomes);
  for (std::size_t i : *order) result.values.emplace_back(i, *std::move((*values)[i]));
  co_return result;
}

}  // namespace cohort::quorum

#endif  // COHORT_QUORUM_QUORUM_CALL_H_
