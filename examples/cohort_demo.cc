// cohort demo: resilience and placement, on embedded defaults (nothing to
// start). It runs in real time for a few seconds:
//
//  1. A client calls a flaky in-process "inventory service" through a retry
//     policy wrapped around a circuit breaker. The service goes down for a
//     while; the breaker trips, rejects calls at once instead of hammering
//     it, then lets trial calls through and closes again once it recovers.
//  2. Keys are placed on a consistent-hash ring, with replica sets; adding a
//     node moves only the keys the new node takes over; the same servers on a
//     ketama ring place keys exactly as libmemcached clients do.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "absl/strings/str_format.h"
#include "cohort/base/context.h"
#include "cohort/resilience/circuit_breaker.h"
#include "cohort/resilience/execute.h"
#include "cohort/resilience/retry_policy.h"
#include "cohort/ring/hash_ring.h"
#include "cohort/ring/ketama.h"

namespace {

using cohort::Awaitable;

// A downstream that fails every call between `down_from` and `down_until`.
class FlakyService {
 public:
  FlakyService(cohort::Clock& clock, absl::Time down_from, absl::Time down_until)
      : clock_(clock), down_from_(down_from), down_until_(down_until) {}

  // Takes `item` by value: a coroutine must own its arguments, since it runs
  // after the caller's temporaries are gone.
  Awaitable<absl::StatusOr<int>> Stock(std::string item) {
    ++calls_;
    co_await clock_.SleepFor(absl::Milliseconds(5));  // network + work
    const absl::Time now = clock_.Now();
    if (now >= down_from_ && now < down_until_) {
      co_return absl::UnavailableError("inventory: connection reset by peer");
    }
    co_return static_cast<int>(item.size() * 7);
  }

  int calls() const { return calls_; }

 private:
  cohort::Clock& clock_;
  absl::Time down_from_, down_until_;
  int calls_ = 0;
};

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

Awaitable<void> ResilienceDemo(const cohort::Context& ctx) {
  cohort::Clock& clock = *ctx.clock;
  const absl::Time start = clock.Now();
  FlakyService service(clock, start + absl::Milliseconds(600), start + absl::Milliseconds(1800));

  cohort::CircuitBreakerOptions breaker_options;
  breaker_options.name = "inventory";
  breaker_options.sliding_window_size = 10;
  breaker_options.minimum_number_of_calls = 5;
  breaker_options.failure_rate_threshold = 0.5;
  breaker_options.wait_duration_in_open_state = absl::Milliseconds(500);
  breaker_options.permitted_calls_in_half_open_state = 3;
  breaker_options.on_state_change = [&clock, start](const cohort::CircuitStateChange& change) {
    std::printf("  %5.2fs  breaker '%.*s': %.*s -> %.*s\n", Seconds(clock.Now() - start),
                static_cast<int>(change.name.size()), change.name.data(),
                static_cast<int>(cohort::CircuitStateName(change.from).size()),
                cohort::CircuitStateName(change.from).data(),
                static_cast<int>(cohort::CircuitStateName(change.to).size()),
                cohort::CircuitStateName(change.to).data());
  };
  auto breaker = cohort::CircuitBreaker::Create(breaker_options, ctx);
  if (!breaker.ok()) {
    std::printf("breaker: %s\n", breaker.status().ToString().c_str());
    co_return;
  }

  cohort::RetryOptions retry_options;
  retry_options.max_attempts = 3;
  retry_options.initial_backoff = absl::Milliseconds(20);
  retry_options.max_backoff = absl::Milliseconds(200);
  retry_options.timeout = absl::Milliseconds(400);
  auto retry = cohort::RetryPolicy::Create(retry_options, ctx);
  if (!retry.ok()) {
    std::printf("retry: %s\n", retry.status().ToString().c_str());
    co_return;
  }

  std::printf("1. A flaky service behind retries and a circuit breaker\n");
  std::printf("   (service down from 0.60s to 1.80s)\n");
  int ok = 0, failed = 0, rejected_fast = 0;
  for (int i = 0; clock.Now() - start < absl::Milliseconds(2600); ++i) {
    const absl::Time call_start = clock.Now();
    absl::StatusOr<int> stock = co_await cohort::AsyncExecute(
        **retry, breaker->get(), cohort::Idempotency::kIdempotent,
        [&service]() { return service.Stock("widget"); });
    const absl::Duration took = clock.Now() - call_start;
    std::string outcome;
    if (stock.ok()) {
      ++ok;
      outcome = absl::StrFormat("ok        stock=%d", *stock);
    } else if (took < absl::Milliseconds(2)) {
      ++rejected_fast;
      outcome = "rejected  " + std::string(stock.status().message());
    } else {
      ++failed;
      outcome = "failed    " + std::string(stock.status().message());
    }
    if (i % 10 == 0 || !stock.ok() || took > absl::Milliseconds(100)) {
      std::printf("  %5.2fs  call %-3d %s (%.0f ms)\n", Seconds(clock.Now() - start), i,
                  outcome.c_str(), absl::ToDoubleMilliseconds(took));
    }
    co_await clock.SleepFor(absl::Milliseconds(40));
  }
  const cohort::CircuitBreakerMetrics m = (*breaker)->Metrics();
  std::printf("  calls: %d ok, %d failed after retries, %d rejected by the open breaker\n",
              ok, failed, rejected_fast);
  std::printf("  the service saw %d requests; breaker now %.*s, %llu calls not permitted\n\n",
              service.calls(), static_cast<int>(cohort::CircuitStateName(m.state).size()),
              cohort::CircuitStateName(m.state).data(),
              static_cast<unsigned long long>(m.not_permitted_calls));
}

void RingDemo() {
  std::printf("2. Keys on a consistent-hash ring (160 points per node)\n");
  std::vector<cohort::ring::RingNode> nodes = {
      {"cache-a", 1.0}, {"cache-b", 1.0}, {"cache-c", 1.0}, {"cache-d", 2.0}};
  auto ring = cohort::ring::HashRing::Create(nodes);
  if (!ring.ok()) {
    std::printf("ring: %s\n", ring.status().ToString().c_str());
    return;
  }
  const std::vector<std::string> keys = {"user:1001", "user:1002", "cart:77",
                                         "session:9f2c", "order:5150", "sku:AX-12",
                                         "user:2048", "feed:home"};
  std::map<std::string, std::string> before;
  for (const std::string& key : keys) {
    auto replicas = ring->Successors(key, 3);
    if (!replicas.ok()) continue;
    before[key] = std::string((*replicas)[0]);
    std::printf("  %-13s -> %-8s replicas:", key.c_str(), before[key].c_str());
    for (std::string_view r : *replicas) std::printf(" %.*s", static_cast<int>(r.size()), r.data());
    std::printf("\n");
  }

  auto builder = ring->ToBuilder();
  if (!builder.AddNode("cache-e").ok()) return;
  auto grown = builder.Build();
  if (!grown.ok()) return;
  std::printf("  after adding cache-e:\n");
  int moved = 0;
  for (const std::string& key : keys) {
    auto owner = grown->Owner(key);
    if (!owner.ok()) continue;
    if (*owner != before[key]) {
      ++moved;
      std::printf("  %-13s moved %s -> %.*s\n", key.c_str(), before[key].c_str(),
                  static_cast<int>(owner->size()), owner->data());
    }
  }
  std::printf("  %d of %zu keys moved, all of them to the new node\n\n", moved, keys.size());

  std::printf("3. The same keys on a ketama ring (placement identical to libmemcached)\n");
  auto ketama = cohort::ring::KetamaRing::Create(
      {{"10.0.0.1", 11211, 1}, {"10.0.0.2", 11211, 1}, {"10.0.0.3", 11212, 2}});
  if (!ketama.ok()) {
    std::printf("ketama: %s\n", ketama.status().ToString().c_str());
    return;
  }
  for (const std::string& key : keys) {
    auto index = ketama->OwnerIndex(key);
    if (!index.ok()) continue;
    const auto& server = ketama->servers()[*index];
    std::printf("  %-13s -> %s:%d\n", key.c_str(), server.host.c_str(), server.port);
  }
}

}  // namespace

int main() {
  asio::io_context io;
  cohort::RealContext real(io.get_executor());
  asio::co_spawn(io, ResilienceDemo(real.context()), asio::detached);
  io.run();
  RingDemo();
  return 0;
}
