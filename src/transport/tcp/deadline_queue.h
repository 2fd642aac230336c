// Expires ids at their deadlines with one sleeping coroutine per queue,
// instead of one timer per call: a connection adds and removes an entry per
// call, and only a call with an earlier deadline than every other wakes the
// sleeper.
#ifndef COHORT_SRC_TRANSPORT_TCP_DEADLINE_QUEUE_H_
#define COHORT_SRC_TRANSPORT_TCP_DEADLINE_QUEUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <utility>

#include <asio/cancellation_signal.hpp>
#include <asio/strand.hpp>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"

namespace cohort::transport {

class DeadlineQueue : public std::enable_shared_from_this<DeadlineQueue> {
 public:
  using Strand = asio::strand<Executor>;

  // `on_expired` runs on `strand` for every id whose deadline has passed and
  // that was not removed first. `clock` must outlive the queue.
  DeadlineQueue(Strand strand, Clock* clock, std::function<void(std::uint64_t)> on_expired);

  // Starts the sleeper. Call once.
  void Start();

  // Thread-safe. An infinite deadline is not recorded.
  void Add(std::uint64_t id, absl::Time deadline);
  void Remove(std::uint64_t id, absl::Time deadline);

  // Thread-safe, idempotent: ends the sleeper; nothing expires afterwards.
  void Stop();

 private:
  Awaitable<void> Run();
  void Wake();  // on the strand

  Strand strand_;
  Clock* const clock_;
  const std::function<void(std::uint64_t)> on_expired_;
  asio::cancellation_signal wake_;  // on the strand only

  absl::Mutex mu_;
  std::set<std::pair<absl::Time, std::uint64_t>> entries_ ABSL_GUARDED_BY(mu_);
  // What the sleeper sleeps until; an earlier entry must wake it.
  absl::Time target_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_TCP_DEADLINE_QUEUE_H_
