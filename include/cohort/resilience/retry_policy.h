// RetryPolicy: retries a failing call with exponential backoff and jitter,
// within an attempt limit, an overall timeout and an optional shared budget.
//
//   RetryOptions options;
//   options.max_attempts = 4;
//   options.timeout = absl::Seconds(2);
//   COHORT_ASSIGN_OR_RETURN(auto retry, RetryPolicy::Create(options, ctx));
//   absl::StatusOr<Row> row =
//       retry->Run(Idempotency::kIdempotent, [&] { return db.Get(key); });
//
// After a failed attempt, the policy stops and returns that attempt's status
// (annotated with why it stopped) when the status is not retryable, when the
// call is not idempotent and the error does not carry WasNotSent() (the
// request may have reached the server: "never retry a POST blindly"), when
// max_attempts is reached, or when the budget is exhausted. Otherwise it waits
// the server's RetryAfter() hint if the error carries one, else the computed
// backoff, and tries again. If that wait would reach the timeout it returns
// DeadlineExceeded at once, naming the last error, instead of sleeping just
// to fail.
//
// Ownership: the policy borrows the Context's clock (it must outlive the
// policy); it shares `budget`. Thread-safety: Run and AsyncRun may be called
// concurrently from any threads; each call has its own random stream, forked
// (under a mutex) the first time it computes a jittered backoff.
#ifndef COHORT_RESILIENCE_RETRY_POLICY_H_
#define COHORT_RESILIENCE_RETRY_POLICY_H_

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"
#include "cohort/resilience/internal/call_traits.h"
#include "cohort/resilience/retry_budget.h"

namespace cohort {

// Whether repeating a call that reached the server is harmless.
enum class Idempotency {
  kIdempotent,     // GET, PUT with a fixed value, delete-by-id, ...
  kNonIdempotent,  // POST, append, increment: retried only when WasNotSent()
};

// Jitter spreads retries of many clients apart (AWS Architecture Blog,
// "Exponential Backoff And Jitter"). With b(n) = min(max_backoff,
// initial_backoff * backoff_multiplier^(n-1)) for the n-th retry:
enum class Jitter {
  kNone,          // wait b(n)
  kFull,          // wait uniform in [0, b(n)]
  kDecorrelated,  // wait min(max_backoff, uniform in [initial, 3 * previous wait]),
                  // the previous wait starting at initial_backoff; the
                  // multiplier is not used
};

// What one attempt did, for logging and metrics.
struct RetryAttempt {
  int attempt = 0;                           // 1 for the first call
  absl::Status status{};                       // its result
  std::optional<absl::Duration> next_delay{};  // set when another attempt follows
};

using RetryObserver = std::function<void(const RetryAttempt&)>;

struct RetryOptions {
  // Attempts including the first; 1 never retries. Must be >= 1. Default: 3.
  int max_attempts = 3;

  // Backoff before the first retry. Must be >= 0. Default: 100 ms.
  absl::Duration initial_backoff = absl::Milliseconds(100);

  // Growth of the backoff per retry. Must be >= 1 and finite. Default: 2.
  double backoff_multiplier = 2.0;

  // Cap on any computed backoff (not on server pushback). Must be >=
  // initial_backoff and finite. Default: 10 s.
  absl::Duration max_backoff = absl::Seconds(10);

  // Default: kFull.
  Jitter jitter = Jitter::kFull;

  // Overall time for all attempts and waits of one Run, from its start.
  // Attempts themselves are not interrupted (give them their own deadlines);
  // the policy just never waits past it. Must be > 0. Default: infinite.
  absl::Duration timeout = absl::InfiniteDuration();

  // Which errors are worth retrying. Must be thread-safe. Default (empty):
  // only kUnavailable.
  std::function<bool(const absl::Status&)> retryable{};

  // Shared retry budget (gRFC A6 throttling). Default: none (unlimited).
  std::shared_ptr<RetryBudget> budget{};

  // OK, or InvalidArgument naming the first bad field and its valid range.
  absl::Status Validate() const;
};

class RetryPolicy {
 public:
  // InvalidArgument for bad options or a Context without a clock.
  static absl::StatusOr<std::unique_ptr<RetryPolicy>> Create(RetryOptions options,
                                                             const Context& ctx);
  ~RetryPolicy();
  RetryPolicy(const RetryPolicy&) = delete;
  RetryPolicy& operator=(const RetryPolicy&) = delete;

  // Calls `f` (returning absl::Status or absl::StatusOr<T>) until it succeeds
  // or the policy stops (see the top of this file); returns the last result.
  // Waits with Clock::BlockFor, so do not call it from an event-loop thread.
  // `observer`, if set, is called after every attempt on this thread.
  template <typename F>
  resilience_internal::SyncResult<F> Run(Idempotency idempotency, F&& f,
                                         const RetryObserver& observer = {}) const;

  // Coroutine form: `f` returns Awaitable<absl::Status> or
  // Awaitable<absl::StatusOr<T>>; waits with co_await Clock::SleepFor. When
  // the awaiting coroutine is cancelled, no further attempt starts and the
  // result is kCancelled. `f` and `observer` are moved into the frame.
  template <typename F>
  Awaitable<resilience_internal::AsyncResult<F>> AsyncRun(
      Idempotency idempotency, F f, RetryObserver observer = {}) const;

  const RetryOptions& options() const;

 private:
  class Impl;
  explicit RetryPolicy(std::unique_ptr<Impl> impl);

  absl::Status RunErased(Idempotency idempotency,
                         absl::FunctionRef<absl::Status()> attempt,
                         const RetryObserver& observer) const;
  Awaitable<absl::Status> AsyncRunErased(Idempotency idempotency,
                                         std::function<Awaitable<absl::Status>()> attempt,
                                         const RetryObserver& observer) const;

  std::unique_ptr<Impl> impl_;
};

template <typename F>
resilience_internal::SyncResult<F> RetryPolicy::Run(Idempotency idempotency, F&& f,
                                                    const RetryObserver& observer) const {
  using Result = resilience_internal::SyncResult<F>;
  static_assert(resilience_internal::IsStatusLike<Result>::value,
                "Run() needs a callable returning absl::Status or absl::StatusOr<T>");
  std::optional<Result> last{};
  absl::Status final_status = RunErased(
      idempotency,
      [&]() -> absl::Status {
        last.emplace(f());
        return resilience_internal::StatusOf(*last);
      },
      observer);
  if (final_status.ok()) return std::move(*last);
  return Result(std::move(final_status));
}

template <typename F>
Awaitable<resilience_internal::AsyncResult<F>> RetryPolicy::AsyncRun(
    Idempotency idempotency, F f, RetryObserver observer) const {
  using Result = resilience_internal::AsyncResult<F>;
  static_assert(resilience_internal::IsStatusLike<Result>::value,
                "AsyncRun() needs a callable returning Awaitable<absl::Status> or "
                "Awaitable<absl::StatusOr<T>>");
  std::optional<Result> last{};
  absl::Status final_status = co_await AsyncRunErased(
      idempotency,
      [&]() -> Awaitable<absl::Status> {
        last.emplace(co_await f());
        co_return resilience_internal::StatusOf(*last);
      },
      observer);
  if (final_status.ok()) co_return std::move(*last);
  co_return Result(std::move(final_status));
}

}  // namespace cohort

#endif  // COHORT_RESILIENCE_RETRY_POLICY_H_
