#include "cohort/quorum/quorum_call.h"

#include <algorithm>
#include <string>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"

namespace cohort::quorum::internal {
namespace {

using Completion = asio::experimental::channel<void(asio::error_code, std::size_t)>;

// Shared between the coordinating coroutine and the calls it starts, which
// may outlive it once cancelled.
struct Shared {
  Shared(const Executor& executor, std::size_t n) : done(executor, n), signals(n), results(n) {}
  Completion done;  // each finished call posts its index; capacity n: never full
  std::vector<asio::cancellation_signal> signals;
  std::vector<absl::Status> results;
};

std::string Summarise(const std::vector<ReplicaOutcome>& outcomes) {
  std::string out;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].state != ReplicaState::kFailed) continue;
    absl::StrAppend(&out, out.empty() ? "" : "; ", "replica ", i, ": ",
                    outcomes[i].status.ToString());
  }
  return out;
}

class Coordinator {
 public:
  Coordinator(Clock& clock, std::size_t n, std::function<Awaitable<absl::Status>(std::size_t)> call,
              const QuorumOptions& options, std::vector<std::size_t>& success_order,
              const Executor& executor)
      : clock_(clock),
        n_(n),
        call_(std::move(call)),
        options_(options),
        success_order_(success_order),
        executor_(executor),
        shared_(std::make_shared<Shared>(executor, n)),
        outcomes_(n),
        started_at_(n),
        answered_(n, false) {}

  Awaitable<absl::StatusOr<std::vector<ReplicaOutcome>>> Run() {
    using namespace asio::experimental::awaitable_operators;  // NOLINT
    const bool hedging = options_.hedging.delay > absl::ZeroDuration() ||
                         options_.hedging.tracker != nullptr;
    const std::size_t initial = hedging ? options_.required : n_;
    for (std::size_t i = 0; i < initial; ++i) Start();
    absl::Time next_hedge = hedging ? clock_.Now() + HedgeDelay() : absl::InfiniteFuture();

    for (;;) {
      if (successes_ >= options_.required) {
        CancelInFlight();
        co_return std::move(outcomes_);
      }
      if (successes_ + in_flight_ + (n_ - started_) < options_.required) {
        CancelInFlight();
        co_return absl::UnavailableError(absl::StrCat(
            "quorum of ", options_.required, " out of ", n_,
            " replicas is no longer possible: ", Summarise(outcomes_)));
      }
      const absl::Time wake =
          started_ < n_ ? std::min(next_hedge, options_.deadline) : options_.deadline;
      // Wait for an answer, or for the next hedge / the deadline.
      std::size_t replica = 0;
      absl::Status slept;
      if (wake == absl::InfiniteFuture()) {
        auto [ec, index] =
            co_await shared_->done.async_receive(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec) slept = absl::CancelledError("quorum call cancelled");
        replica = index;
      } else {
        auto event = co_await (shared_->done.async_receive(
                                   asio::experimental::as_tuple(asio::use_awaitable)) ||
                               clock_.SleepUntil(wake));
        if (event.index() == 0) {
          auto [ec, index] = std::get<0>(event);
          if (ec) slept = absl::CancelledError("quorum call cancelled");
          replica = index;
        } else {
          slept = std::get<1>(event);
          replica = n_;  // no answer: a timer fired
        }
      }
      if (replica < n_ && slept.ok()) {
        Finish(replica);
        if (hedging && outcomes_[replica].state == ReplicaState::kFailed && started_ < n_) {
          Start();  // replace a failed replica at once
          next_hedge = clock_.Now() + HedgeDelay();
        }
        continue;
      }
      if (!slept.ok()) {
        CancelInFlight();
        co_return absl::CancelledError("quorum call cancelled");
      }
      if (clock_.Now() >= options_.deadline) {
        CancelInFlight();
        co_return absl::DeadlineExceededError(absl::StrCat(
            "quorum of ", options_.required, " out of ", n_, " not reached before the deadline (",
            successes_, " succeeded, ", in_flight_, " still in flight)",
            failures_ > 0 ? absl::StrCat("; failures: ", Summarise(outcomes_)) : ""));
      }
      Start();  // hedge: a spare request
      next_hedge = clock_.Now() + HedgeDelay();
    }
  }

 private:
  absl::Duration HedgeDelay() const {
    if (options_.hedging.tracker != nullptr) {
      if (auto p = options_.hedging.tracker->Percentile(options_.hedging.percentile)) return *p;
    }
    return options_.hedging.delay > absl::ZeroDuration() ? options_.hedging.delay
                                                         : absl::Milliseconds(10);
  }

  void Start() {
    const std::size_t replica = started_++;
    ++in_flight_;
    started_at_[replica] = clock_.Now();
    outcomes_[replica].state = ReplicaState::kCancelled;  // until it answers
    asio::co_spawn(
        executor_,
        [shared = shared_, call = call_, replica]() -> Awaitable<void> {
          shared->results[replica] = co_await call(replica);
          shared->done.try_send(asio::error_code(), replica);
        },
        asio::bind_cancellation_slot(shared_->signals[replica].slot(), asio::detached));
  }

  void Finish(std::size_t replica) {
    answered_[replica] = true;
    --in_flight_;
    ReplicaOutcome& outcome = outcomes_[replica];
    outcome.latency = clock_.Now() - started_at_[replica];
    outcome.status = shared_->results[replica];
    if (outcome.status.ok()) {
      outcome.state = ReplicaState::kSucceeded;
      ++successes_;
      success_order_.push_back(replica);
      if (options_.hedging.tracker != nullptr) options_.hedging.tracker->Record(outcome.latency);
    } else {
      outcome.state = ReplicaState::kFailed;
      ++failures_;
    }
  }

  void CancelInFlight() {
    for (std::size_t i = 0; i < started_; ++i) {
      if (!answered_[i]) shared_->signals[i].emit(asio::cancellation_type::terminal);
    }
  }

  Clock& clock_;
  const std::size_t n_;
  std::function<Awaitable<absl::Status>(std::size_t)> call_;
  const QuorumOptions& options_;
  std::vector<std::size_t>& success_order_;
  Executor executor_;
  std::shared_ptr<Shared> shared_;
  std::vector<ReplicaOutcome> outcomes_;
  std::vector<absl::Time> started_at_;
  std::vector<bool> answered_;
  std::size_t started_ = 0, in_flight_ = 0, successes_ = 0, failures_ = 0;
};

}  // namespace

absl::Status ValidateQuorumOptions(std::size_t replicas, const QuorumOptions& options) {
  if (replicas == 0) {
    return absl::InvalidArgumentError("a quorum call needs at least one replica");
  }
  if (options.required == 0 || options.required > replicas) {
    return absl::InvalidArgumentError(
        absl::StrCat("QuorumOptions.required must be between 1 and the number of replicas (",
                     replicas, "), got ", options.required));
  }
  if (options.hedging.percentile <= 0 || options.hedging.percentile > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HedgingOptions.percentile must be in (0, 1], got ", options.hedging.percentile));
  }
  if (options.hedging.delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("HedgingOptions.delay must not be negative");
  }
  return absl::OkStatus();
}

Awaitable<absl::StatusOr<std::vector<ReplicaOutcome>>> RunQuorum(
    Clock& clock, std::size_t replicas,
    std::function<Awaitable<absl::Status>(std::size_t)> call, const QuorumOptions& options,
    std::shared_ptr<std::vector<std::size_t>> success_order) {
  Coordinator coordinator(clock, replicas, std::move(call), options, *success_order,
                          co_await asio::this_coro::executor);
  co_return co_await coordinator.Run();
}

}  // namespace cohort::quorum::internal
