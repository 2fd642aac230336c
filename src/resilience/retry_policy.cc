#include "cohort/resilience/retry_policy.h"

#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cohort/base/status.h"
#include "resilience/retry_run.h"

namespace cohort {

using resilience_internal::RetryDecision;
using resilience_internal::RetryRun;

class RetryPolicy::Impl {
 public:
  Impl(RetryOptions opts, const Context& ctx)
      : options(std::move(opts)),
        clock(ctx.clock),
        random(ctx.NewRandom("resilience/retry")) {}

  // Each call gets its own stream; forking is the only shared step.
  Random ForkRandom() {
    absl::MutexLock lock(&mu);
    return random.Fork();
  }

  const RetryOptions options;
  Clock* const clock;
  absl::Mutex mu;
  Random random ABSL_GUARDED_BY(mu);
};

absl::StatusOr<std::unique_ptr<RetryPolicy>> RetryPolicy::Create(RetryOptions options,
                                                                 const Context& ctx) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  COHORT_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<RetryPolicy>(
      new RetryPolicy(std::make_unique<Impl>(std::move(options), ctx)));
}

RetryPolicy::RetryPolicy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RetryPolicy::~RetryPolicy() = default;

const RetryOptions& RetryPolicy::options() const { return impl_->options; }

absl::Status RetryPolicy::RunErased(Idempotency idempotency,
                                    absl::FunctionRef<absl::Status()> attempt,
                                    const RetryObserver& observer) const {
  Impl& impl = *impl_;
  auto fork = [&impl] { return impl.ForkRandom(); };
  RetryRun run(impl.options, idempotency, impl.clock, fork);
  for (;;) {
    absl::Status status = attempt();
    RetryDecision decision = run.Decide(std::move(status));
    if (observer) observer(run.last_attempt());
    if (decision.done) return std::move(decision.result);
    impl.clock->BlockFor(decision.delay);
  }
}

Awaitable<absl::Status> RetryPolicy::AsyncRunErased(
    Idempotency idempotency, std::function<Awaitable<absl::Status>()> attempt,
    const RetryObserver& observer) const {
  Impl& impl = *impl_;
  auto fork = [&impl] { return impl.ForkRandom(); };
  RetryRun run(impl.options, idempotency, impl.clock, fork);
  for (;;) {
    absl::Status status = co_await attempt();
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
      co_return absl::CancelledError(absl::StrCat("retry cancelled after attempt ",
                                                  run.attempts(),
                                                  "; last error: ", StatusSummary(status)));
    }
    RetryDecision decision = run.Decide(std::move(status));
    if (observer) observer(run.last_attempt());
    if (decision.done) co_return std::move(decision.result);
    absl::Status slept = co_await impl.clock->SleepFor(decision.delay);
    if (!slept.ok()) {
      co_return absl::CancelledError(absl::StrCat(
          "retry cancelled while waiting to retry after attempt ", run.attempts(),
          "; last error: ", StatusSummary(run.last_attempt().status)));
    }
  }
}

}  // namespace cohort
