// Execute: retry around a circuit breaker around a call, the usual stack.
//
//   absl::StatusOr<Order> order = cohort::Execute(
//       *retry, breaker.get(), Idempotency::kNonIdempotent,
//       [&] { return orders.Create(request); });
//
// Each attempt goes through the breaker (when `breaker` is not null). An open
// breaker rejects with Unavailable + WasNotSent() + RetryAfter(time until it
// admits trial calls), so the retry waits exactly that long (or gives up with
// DeadlineExceeded at once if that is past the timeout), and may retry even a
// non-idempotent call, since the rejected attempt never reached the server.
//
// Lifetimes: `policy` and `breaker` are borrowed for the duration of the call.
// Thread-safety: as RetryPolicy::Run and CircuitBreaker::Call.
#ifndef COHORT_RESILIENCE_EXECUTE_H_
#define COHORT_RESILIENCE_EXECUTE_H_

#include <utility>

#include "cohort/base/async.h"
#include "cohort/resilience/circuit_breaker.h"
#include "cohort/resilience/internal/call_traits.h"
#include "cohort/resilience/retry_policy.h"

namespace cohort {

// Blocking form: `f` returns absl::Status or absl::StatusOr<T>.
template <typename F>
resilience_internal::SyncResult<F> Execute(const RetryPolicy& policy,
                                           CircuitBreaker* breaker,
                                           Idempotency idempotency, F&& f,
                                           const RetryObserver& observer = {}) {
  return policy.Run(
      idempotency,
      [&]() -> resilience_internal::SyncResult<F> {
        if (breaker == nullptr) return f();
        return breaker->Call(f);
      },
      observer);
}

// Coroutine form: `f` returns Awaitable<absl::Status> or
// Awaitable<absl::StatusOr<T>>; cancellation as RetryPolicy::AsyncRun.
template <typename F>
Awaitable<resilience_internal::AsyncResult<F>> AsyncExecute(const RetryPolicy& policy,
                                                            CircuitBreaker* breaker,
                                                            Idempotency idempotency, F f,
                                                            RetryObserver observer = {}) {
  co_return co_await policy.AsyncRun(
      idempotency,
      [&f, breaker]() -> Awaitable<resilience_internal::AsyncResult<F>> {
        if (breaker == nullptr) return f();
        return breaker->AsyncCall([&f] { return f(); });
      },
      std::move(observer));
}

}  // namespace cohort

#endif  // COHORT_RESILIENCE_EXECUTE_H_
