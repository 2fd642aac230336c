// CircuitBreaker: stops calling a downstream that keeps failing, and probes it
// with a few trial calls before trusting it again.
//
//   CircuitBreakerOptions options;
//   options.name = "inventory";
//   COHORT_ASSIGN_OR_RETURN(auto breaker, CircuitBreaker::Create(options, ctx));
//   absl::StatusOr<Item> item = breaker->Call([&] { return client.Get(id); });
//
// States: closed (calls flow, outcomes fill a sliding window), open (calls are
// rejected for wait_duration_in_open_state), half-open (a fixed number of
// trial calls decide whether to close or reopen), plus forced-open and
// disabled, set by the operator. Every state change, and every clearing of the
// closed counts by closed_state_interval, starts a new generation; the outcome
// of a call admitted in an earlier generation is ignored (gobreaker).
//
// Rejections are absl::Unavailable carrying MarkNotSent() (the downstream was
// not called, so even a non-idempotent call may be retried) and, while open,
// WithRetryAfter(time until trial calls are admitted); see status_hints.h.
//
// Thread-safety: every method may be called concurrently. Admitting and
// recording a call in the closed state takes no lock (atomics only); a mutex
// guards state changes, half-open bookkeeping and the per-second rotation of
// a time-based window. Counting is exact when calls do not race with a state
// change; an outcome recorded concurrently with the change that clears the
// window may be counted in the fresh window.
#ifndef COHORT_RESILIENCE_CIRCUIT_BREAKER_H_
#define COHORT_RESILIENCE_CIRCUIT_BREAKER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/context.h"
#include "cohort/resilience/circuit_breaker_options.h"
#include "cohort/resilience/internal/call_traits.h"

namespace cohort {

class CircuitBreaker {
 private:
  class Impl;

 public:
  // Admission to make one call. Move-only. Finish it with Record(); a permit
  // destroyed without Record() (an exception, a cancelled coroutine, a caller
  // that gave up) counts as an ignored outcome: it frees its half-open trial
  // slot and changes no statistics. Must not outlive its breaker. A permit
  // may move between threads but is not itself thread-safe.
  class Permit {
   public:
    Permit(Permit&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          generation_(other.generation_),
          kind_(other.kind_),
          start_(other.start_) {}
    Permit& operator=(Permit&& other) noexcept;
    ~Permit() {
      if (owner_ != nullptr) Abandon();
    }

    // Reports the call's result, classified by classify_outcome. Call at most
    // once; later calls do nothing. Measures the call's duration with the
    // breaker's clock when slow-call detection is on.
    void Record(const absl::Status& status) {
      if (owner_ != nullptr) Complete(status);
    }

    // The generation the call was admitted in.
    std::uint64_t generation() const { return generation_; }

   private:
    friend class CircuitBreaker;
    friend class Impl;
    Permit(Impl* owner, std::uint64_t generation, std::uint8_t kind, absl::Time start)
        : owner_(owner), generation_(generation), kind_(kind), start_(start) {}
    void Complete(const absl::Status& status);
    void Abandon();

    Impl* owner_ = nullptr;
    std::uint64_t generation_ = 0;
    std::uint8_t kind_ = 0;
    absl::Time start_;
  };

  // Returns InvalidArgument for bad options (see CircuitBreakerOptions) or an
  // invalid context. Uses ctx.clock (borrowed: must outlive the breaker) and
  // ctx.logger; ignores the executor.
  static absl::StatusOr<std::unique_ptr<CircuitBreaker>> Create(
      CircuitBreakerOptions options, const Context& ctx);

  ~CircuitBreaker();
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Asks to make one call. Returns a Permit, or Unavailable (not-sent; with a
  // retry-after hint while open) when the breaker rejects the call: open,
  // forced open, or half-open with all trial calls in flight. An open breaker
  // whose wait has elapsed turns half-open here and admits the caller as a
  // trial.
  absl::StatusOr<Permit> Acquire();

  // Acquire(), run `f` (returning absl::Status or absl::StatusOr<T>), record
  // its status, return its result (or the rejection, converted to f's result
  // type). Blocks for as long as `f` does.
  template <typename F>
  resilience_internal::SyncResult<F> Call(F&& f);

  // Coroutine form: `f` returns Awaitable<absl::Status> or
  // Awaitable<absl::StatusOr<T>>. A kCancelled result is ignored (default
  // classification); if `f` throws (e.g. asio's operation_aborted), the permit
  // is released unrecorded. `f` is moved into the coroutine frame, so it may
  // be a temporary lambda.
  template <typename F>
  Awaitable<resilience_internal::AsyncResult<F>> AsyncCall(F f);

  // The current state. An open breaker whose wait has elapsed still reports
  // kOpen until the next Acquire() turns it half-open.
  CircuitState state() const;
  // CircuitBreakerOptions::name; valid as long as the breaker.
  std::string_view name() const;
  // A consistent-enough snapshot for metrics: each field is read atomically,
  // but concurrent calls may land between the reads.
  CircuitBreakerMetrics Metrics() const;

  // Operator controls. Each starts a new generation and notifies the listener
  // (when the state changes).
  // ForceOpen: reject everything (no retry-after hint) until Reset().
  void ForceOpen();
  // Disable: admit everything, record nothing, never trip, until Reset().
  void Disable();
  // Reset: back to closed with an empty window, whatever the state.
  void Reset();

 private:
  explicit CircuitBreaker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

template <typename F>
resilience_internal::SyncResult<F> CircuitBreaker::Call(F&& f) {
  using Result = resilience_internal::SyncResult<F>;
  static_assert(resilience_internal::IsStatusLike<Result>::value,
                "Call() needs a callable returning absl::Status or absl::StatusOr<T>");
  absl::StatusOr<Permit> permit = Acquire();
  if (!permit.ok()) return Result(permit.status());
  Result result = f();
  permit->Record(resilience_internal::StatusOf(result));
  return result;
}

template <typename F>
Awaitable<resilience_internal::AsyncResult<F>> CircuitBreaker::AsyncCall(F f) {
  using Result = resilience_internal::AsyncResult<F>;
  static_assert(resilience_internal::IsStatusLike<Result>::value,
                "AsyncCall() needs a callable returning Awaitable<absl::Status> or "
                "Awaitable<absl::StatusOr<T>>");
  absl::StatusOr<Permit> permit = Acquire();
  if (!permit.ok()) co_return Result(permit.status());
  Result result = co_await f();
  permit->Record(resilience_internal::StatusOf(result));
  co_return result;
}

}  // namespace cohort

#endif  // COHORT_RESILIENCE_CIRCUIT_BREAKER_H_
