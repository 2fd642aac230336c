#include "transport/tcp/deadline_queue.h"

#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/use_awaitable.hpp>

namespace cohort::transport {

DeadlineQueue::DeadlineQueue(Strand strand, Clock* clock,
                             std::function<void(std::uint64_t)> on_expired)
    : strand_(std::move(strand)), clock_(clock), on_expired_(std::move(on_expired)) {}

void DeadlineQueue::Start() {
  auto self = shared_from_this();
  asio::co_spawn(strand_, [self]() -> Awaitable<void> { co_await self->Run(); }, asio::detached);
}

void DeadlineQueue::Add(std::uint64_t id, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return;
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    entries_.emplace(deadline, id);
    if (deadline < target_) {
      target_ = deadline;
      wake = true;
    }
  }
  if (wake) {
    auto self = shared_from_this();
    asio::dispatch(strand_, [self] { self->Wake(); });
  }
}

void DeadlineQueue::Remove(std::uint64_t id, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return;
  absl::MutexLock lock(&mu_);
  entries_.erase(std::make_pair(deadline, id));
}

void DeadlineQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    entries_.clear();
  }
  auto self = shared_from_this();
  asio::dispatch(strand_, [self] { self->Wake(); });
}

void DeadlineQueue::Wake() { wake_.emit(asio::cancellation_type::terminal); }

Awaitable<void> DeadlineQueue::Run() {
  std::vector<std::uint64_t> expired;
  for (;;) {
    absl::Time until;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) co_return;
      until = entries_.empty() ? absl::InfiniteFuture() : entries_.begin()->first;
      target_ = until;
    }
    // The sleep is a child coroutine bound to wake_, so that Add() can cut it
    // short. Named variables: see docs/ARCHITECTURE.md on co_await temporaries.
    Awaitable<absl::Status> sleep = clock_->SleepUntil(until);
    auto token = asio::bind_cancellation_slot(wake_.slot(), asio::use_awaitable);
    (void)co_await asio::co_spawn(strand_, std::move(sleep), token);
    expired.clear();
    {
      absl::MutexLock lock(&mu_);
      // Checked before touching the clock: once stopped, the owner may
      // already be gone, and its clock with it.
      if (stopped_) co_return;
      const absl::Time now = clock_->Now();
      while (!entries_.empty() && entries_.begin()->first <= now) {
        expired.push_back(entries_.begin()->second);
        entries_.erase(entries_.begin());
      }
    }
    for (std::uint64_t id : expired) on_expired_(id);
  }
}

}  // namespace cohort::transport
