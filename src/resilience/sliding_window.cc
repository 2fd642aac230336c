#include "resilience/sliding_window.h"

#include <algorithm>
#include <limits>

namespace cohort::resilience_internal {
namespace {

constexpr std::int64_t kNoSecond = std::numeric_limits<std::int64_t>::min() / 2;

std::int64_t NonNegative(std::int64_t v) { return v < 0 ? 0 : v; }

}  // namespace

CountWindow::CountWindow(int size)
    : size_(static_cast<std::uint64_t>(size)),
      slots_(new std::atomic<std::uint8_t>[static_cast<std::size_t>(size)]) {
  for (std::uint64_t i = 0; i < size_; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

void CountWindow::Replace(std::atomic<std::uint8_t>& slot, std::uint8_t value) {
  const std::uint8_t old = slot.exchange(value, std::memory_order_relaxed);
  const int failed_delta = ((value & kFailed) != 0) - ((old & kFailed) != 0);
  const int slow_delta = ((value & kSlow) != 0) - ((old & kSlow) != 0);
  if (failed_delta != 0) failures_.fetch_add(failed_delta, std::memory_order_relaxed);
  if (slow_delta != 0) slow_.fetch_add(slow_delta, std::memory_order_relaxed);
}

WindowCounts CountWindow::Counts() const {
  WindowCounts counts;
  counts.calls =
      static_cast<std::int64_t>(std::min(next_.load(std::memory_order_relaxed), size_));
  counts.failures = NonNegative(failures_.load(std::memory_order_relaxed));
  counts.slow = NonNegative(slow_.load(std::memory_order_relaxed));
  return counts;
}

void CountWindow::Clear() {
  next_.store(0, std::memory_order_relaxed);
  for (std::uint64_t i = 0; i < size_; ++i) slots_[i].store(0, std::memory_order_relaxed);
  failures_.store(0, std::memory_order_relaxed);
  slow_.store(0, std::memory_order_relaxed);
}

TimeWindow::TimeWindow(int seconds)
    : seconds_(seconds),
      buckets_(new Bucket[static_cast<std::size_t>(seconds)]),
      latest_(kNoSecond) {}

void TimeWindow::AdvanceTo(std::int64_t second) {
  absl::MutexLock lock(&rotate_mu_);
  const std::int64_t latest = latest_.load(std::memory_order_relaxed);
  if (second <= latest) return;
  // Evict the buckets of seconds (latest - seconds_, second - seconds_]: they
  // are the slots that seconds (latest, second] will reuse.
  const std::int64_t first = std::max(latest + 1, second - seconds_ + 1);
  for (std::int64_t s = first; s <= second; ++s) {
    Bucket& b =
        buckets_[static_cast<std::size_t>(((s % seconds_) + seconds_) % seconds_)];
    calls_.fetch_sub(b.calls.exchange(0, std::memory_order_relaxed),
                     std::memory_order_relaxed);
    failures_.fetch_sub(b.failures.exchange(0, std::memory_order_relaxed),
                        std::memory_order_relaxed);
    slow_.fetch_sub(b.slow.exchange(0, std::memory_order_relaxed),
                    std::memory_order_relaxed);
  }
  latest_.store(second, std::memory_order_release);
}

WindowCounts TimeWindow::Totals() const {
  WindowCounts counts;
  counts.calls = NonNegative(calls_.load(std::memory_order_relaxed));
  counts.failures = NonNegative(failures_.load(std::memory_order_relaxed));
  counts.slow = NonNegative(slow_.load(std::memory_order_relaxed));
  return counts;
}

WindowCounts TimeWindow::Record(std::int64_t second, bool failed, bool slow) {
  std::int64_t latest = latest_.load(std::memory_order_acquire);
  if (second > latest) {
    AdvanceTo(second);
    latest = second;
  }
  // A call finishing in a second that already left the window (a racing
  // recorder that read the clock long ago) is dropped.
  if (second > latest - seconds_) {
    Bucket& b =
        buckets_[static_cast<std::size_t>(((second % seconds_) + seconds_) % seconds_)];
    b.calls.fetch_add(1, std::memory_order_relaxed);
    calls_.fetch_add(1, std::memory_order_relaxed);
    if (failed) {
      b.failures.fetch_add(1, std::memory_order_relaxed);
      failures_.fetch_add(1, std::memory_order_relaxed);
    }
    if (slow) {
      b.slow.fetch_add(1, std::memory_order_relaxed);
      slow_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return Totals();
}

WindowCounts TimeWindow::Counts(std::int64_t second) {
  if (second > latest_.load(std::memory_order_acquire)) AdvanceTo(second);
  return Totals();
}

void TimeWindow::Clear() {
  absl::MutexLock lock(&rotate_mu_);
  for (std::int64_t i = 0; i < seconds_; ++i) {
    buckets_[static_cast<std::size_t>(i)].calls.store(0, std::memory_order_relaxed);
    buckets_[static_cast<std::size_t>(i)].failures.store(0, std::memory_order_relaxed);
    buckets_[static_cast<std::size_t>(i)].slow.store(0, std::memory_order_relaxed);
  }
  calls_.store(0, std::memory_order_relaxed);
  failures_.store(0, std::memory_order_relaxed);
  slow_.store(0, std::memory_order_relaxed);
  latest_.store(kNoSecond, std::memory_order_release);
}

}  // namespace cohort::resilience_internal
