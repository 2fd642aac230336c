// Lock-free sliding windows of call outcomes for the closed circuit breaker.
#ifndef COHORT_SRC_RESILIENCE_SLIDING_WINDOW_H_
#define COHORT_SRC_RESILIENCE_SLIDING_WINDOW_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cohort::resilience_internal {

struct WindowCounts {
  std::int64_t calls = 0;
  std::int64_t failures = 0;
  std::int64_t slow = 0;
};

// The last `size` outcomes in a ring of one-byte slots. The aggregate counters
// change only by the difference a slot exchange makes, so they always equal
// the sum of the slots once concurrent recorders finish. Recording the same
// outcome a slot already holds writes nothing (the steady-state success path
// is one fetch_add).
class CountWindow {
 public:
  explicit CountWindow(int size);

  WindowCounts Record(bool failed, bool slow) {
    const std::uint64_t index = next_.fetch_add(1, std::memory_order_relaxed);
    std::atomic<std::uint8_t>& slot = slots_[index % size_];
    const auto value =
        static_cast<std::uint8_t>(kPresent | (failed ? kFailed : 0) | (slow ? kSlow : 0));
    if (slot.load(std::memory_order_relaxed) != value) Replace(slot, value);
    WindowCounts counts;
    counts.calls = static_cast<std::int64_t>(index < size_ ? index + 1 : size_);
    counts.failures = failures_.load(std::memory_order_relaxed);
    counts.slow = slow_.load(std::memory_order_relaxed);
    return counts;
  }
  WindowCounts Counts() const;
  // Empties the window. Callers serialise Clear() against each other.
  void Clear();

 private:
  static constexpr std::uint8_t kPresent = 1, kFailed = 2, kSlow = 4;

  void Replace(std::atomic<std::uint8_t>& slot, std::uint8_t value);

  const std::uint64_t size_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> slots_;
  std::atomic<std::uint64_t> next_{0};
  std::atomic<std::int64_t> failures_{0};
  std::atomic<std::int64_t> slow_{0};
};

// Outcomes of the last `seconds` whole seconds, one bucket per second.
// Buckets are added to with atomics; moving to a new second (evicting the
// buckets that fell out) takes a mutex, at most once per second.
class TimeWindow {
 public:
  explicit TimeWindow(int seconds);

  // `second` is the Unix second the call finished in.
  WindowCounts Record(std::int64_t second, bool failed, bool slow);
  // Counts as of `second` (evicting what fell out by then).
  WindowCounts Counts(std::int64_t second);
  void Clear();

 private:
  struct Bucket {
    std::atomic<std::int64_t> calls{0};
    std::atomic<std::int64_t> failures{0};
    std::atomic<std::int64_t> slow{0};
  };

  void AdvanceTo(std::int64_t second);
  WindowCounts Totals() const;

  const std::int64_t seconds_;
  std::unique_ptr<Bucket[]> buckets_;
  absl::Mutex rotate_mu_;
  // The latest second any bucket holds; buckets hold (latest - seconds, latest].
  std::atomic<std::int64_t> latest_;
  std::atomic<std::int64_t> calls_{0};
  std::atomic<std::int64_t> failures_{0};
  std::atomic<std::int64_t> slow_{0};
};

}  // namespace cohort::resilience_internal

#endif  // COHORT_SRC_RESILIENCE_SLIDING_WINDOW_H_
