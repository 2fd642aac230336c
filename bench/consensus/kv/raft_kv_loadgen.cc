// raft_kv_loadgen: drives the raft_kv example cluster (examples/raft_kv/)
// with N concurrent clients that put fixed-size values to random keys, and
// prints one JSON object, the same as etcd_loadgen's:
//
//   {"target":"cohort","clients":N,"conns":C,"puts":P,"errors":E,"seconds":S,
//    "puts_per_s":X,"p50_us":A,"p99_us":B}
//
//   raft_kv_loadgen --servers 1=h:p,2=h:p,3=h:p [--clients 1] [--conns 0]
//       [--value-bytes 256] [--keyspace 100000] [--warmup 1] [--duration 5]
//       [--seed 1]
//   raft_kv_loadgen --servers ... --probe SECONDS
//       exits 0 once one put succeeds, 1 if none does within SECONDS.
//
// Clients are coroutines on one thread sharing C connections (cohort's
// TcpTransport pipelines many calls on one connection, as gRPC does for
// etcd). Each client is the example's own raft_kv::KvClient with a client id
// of its own (the store deduplicates writes per client id and sequence
// number, so ids are fresh every run): every put goes to the leader,
// following leader hints, and its latency runs from the first attempt to
// success, redirects included, which is what a user of the store sees.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "asio/co_spawn.hpp"
#include "asio/detached.hpp"
#include "asio/io_context.hpp"
#include "cohort/base/async.h"
#include "cohort/base/clock.h"
#include "cohort/base/context.h"
#include "cohort/base/random.h"
#include "cohort/transport/tcp_transport.h"
#include "kv_client.h"  // examples/raft_kv

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Flags {
  std::map<std::uint64_t, std::string> servers;
  int clients = 1;
  int conns = 0;
  std::size_t value_bytes = 256;
  std::uint64_t keyspace = 100000;
  double warmup_s = 1;
  double duration_s = 5;
  std::uint64_t seed = 1;
  double probe_s = 0;
};

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --servers 1=h:p,2=h:p,... [--clients N] [--conns C] [--value-bytes B]\n"
               "       [--keyspace K] [--warmup S] [--duration S] [--seed X] [--probe S]\n",
               argv0);
  return 2;
}

// 0 warm-up, 1 measuring, 2 stopping. A put counts when it completes while
// measuring.
struct Shared {
  std::atomic<int> phase{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<int> running{0};
  std::vector<std::vector<double>> latencies_us;
};

cohort::Awaitable<void> Client(int id, const Flags& flags, raft_kv::KvClient& client,
                               cohort::Clock& clock, Shared& shared) {
  cohort::Random rng(flags.seed * 1000003 + static_cast<std::uint64_t>(id));
  std::string value(flags.value_bytes, 'v');
  for (char& c : value) c = static_cast<char>('a' + rng.Uniform(26));
  std::vector<double>& mine = shared.latencies_us[static_cast<std::size_t>(id)];
  mine.reserve(1 << 14);
  char key[32];
  while (shared.phase.load(std::memory_order_relaxed) < 2) {
    std::snprintf(key, sizeof key, "bench/%08llu",
                  static_cast<unsigned long long>(rng.Uniform(flags.keyspace)));
    const int phase_at_start = shared.phase.load(std::memory_order_relaxed);
    const auto start = SteadyClock::now();
    const absl::Time deadline = clock.Now() + absl::Seconds(10);
    // Named arguments, not temporaries, inside the co_await (GCC 12).
    std::string put_key(key);
    std::string put_value = value;
    auto reply = co_await client.Put(std::move(put_key), std::move(put_value), deadline);
    const absl::Status status = reply.status();
    const auto took = SteadyClock::now() - start;
    const int phase_at_end = shared.phase.load(std::memory_order_relaxed);
    const bool measuring = phase_at_end == 1;
    // A failed put that overlapped the measured interval counts as an error.
    if (!status.ok() && phase_at_start <= 1 && phase_at_end >= 1) {
      if (shared.errors.fetch_add(1) < 5) {
        std::fprintf(stderr, "raft_kv_loadgen: put failed: %s\n", status.ToString().c_str());
      }
    } else if (status.ok() && measuring) {
      mine.push_back(std::chrono::duration<double, std::micro>(took).count());
    }
  }
  shared.running.fetch_sub(1);
}

// --probe: one put, retried until it succeeds or `seconds` pass. Tells the
// run script that the cluster has a leader that commits.
cohort::Awaitable<void> Probe(double seconds, raft_kv::KvClient& client,
                              cohort::transport::Transport& transport, cohort::Clock& clock,
                              absl::Status& result) {
  const absl::Time deadline = clock.Now() + absl::Seconds(seconds);
  std::string key = "bench/probe";
  std::string value = "probe";
  auto reply = co_await client.Put(std::move(key), std::move(value), deadline);
  result = reply.status();
  co_await transport.Shutdown(clock.Now() + absl::Seconds(1));
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto idx = static_cast<std::size_t>(q * static_cast<double>(sorted.size()) + 0.5);
  idx = std::clamp<std::size_t>(idx, 1, sorted.size()) - 1;
  return sorted[idx];
}

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[i + 1];
    if (flag == "--servers") {
      auto servers = raft_kv::ParseMembers(v);
      if (!servers.has_value()) {
        std::fprintf(stderr, "raft_kv_loadgen: --servers wants id=host:port,..., got %s\n", v);
        return false;
      }
      flags.servers = *std::move(servers);
    } else if (flag == "--clients") {
      flags.clients = std::atoi(v);
    } else if (flag == "--conns") {
      flags.conns = std::atoi(v);
    } else if (flag == "--value-bytes") {
      flags.value_bytes = static_cast<std::size_t>(std::atol(v));
    } else if (flag == "--keyspace") {
      flags.keyspace = static_cast<std::uint64_t>(std::atoll(v));
    } else if (flag == "--warmup") {
      flags.warmup_s = std::atof(v);
    } else if (flag == "--duration") {
      flags.duration_s = std::atof(v);
    } else if (flag == "--probe") {
      flags.probe_s = std::atof(v);
    } else if (flag == "--seed") {
      flags.seed = static_cast<std::uint64_t>(std::atoll(v));
    } else {
      return false;
    }
  }
  if (flags.servers.empty() || flags.clients < 1 || flags.keyspace < 1 || flags.duration_s <= 0 ||
      flags.warmup_s < 0 || flags.conns < 0 || flags.conns > 64) {
    std::fprintf(stderr,
                 "raft_kv_loadgen: --servers must be non-empty, --clients >= 1, --keyspace >= 1, "
                 "--duration > 0, --warmup >= 0, --conns in [0, 64]\n");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return Usage(argv[0]);
  // As in the server (examples/raft_kv/raft_kv.cc): no mutex deadlock
  // detector, which Debian's abseil leaves on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Like etcd_loadgen: one connection per 64 clients, at most 8.
  const int conns = flags.conns > 0 ? flags.conns : std::min(8, (flags.clients + 63) / 64);

  asio::io_context io(1);
  // Seeded from entropy (not --seed): client ids must differ between runs
  // against the same cluster, or the store would take puts for retries.
  cohort::RealContext real(io.get_executor());
  cohort::transport::TcpTransportOptions options;
  options.connections_per_peer = conns;
  auto transport = cohort::transport::TcpTransport::Create(options, real.context());
  if (!transport.ok()) {
    std::fprintf(stderr, "raft_kv_loadgen: %s\n", transport.status().ToString().c_str());
    return 1;
  }
  cohort::Clock& clock = *real.context().clock;
  cohort::Random ids = real.context().NewRandom("client-ids");
  // One KvClient per coroutine: a client's requests are sequenced, one in
  // flight at a time.
  std::vector<std::unique_ptr<raft_kv::KvClient>> clients;
  const int client_count = flags.probe_s > 0 ? 1 : flags.clients;
  for (int i = 0; i < client_count; ++i) {
    clients.push_back(std::make_unique<raft_kv::KvClient>(**transport, clock, flags.servers,
                                                          ids.Next64() | 1));
  }
  if (flags.probe_s > 0) {
    absl::Status result;
    asio::co_spawn(io, Probe(flags.probe_s, *clients[0], **transport, clock, result), asio::detached);
    io.run();
    if (!result.ok()) {
      std::fprintf(stderr, "raft_kv_loadgen: probe: %s\n", result.ToString().c_str());
      return 1;
    }
    return 0;
  }
  Shared shared;
  shared.latencies_us.resize(static_cast<std::size_t>(flags.clients));
  shared.running = flags.clients;
  for (int i = 0; i < flags.clients; ++i) {
    asio::co_spawn(io, Client(i, flags, *clients[static_cast<std::size_t>(i)], clock, shared), asio::detached);
  }

  double seconds = 0;
  auto control = [&]() -> cohort::Awaitable<void> {
    co_await clock.SleepFor(absl::Seconds(flags.warmup_s));
    const auto start = SteadyClock::now();
    shared.phase = 1;
    co_await clock.SleepFor(absl::Seconds(flags.duration_s));
    shared.phase = 2;
    seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    // Clients finish their put in flight (each has a deadline), then stop.
    while (shared.running.load() > 0) co_await clock.SleepFor(absl::Milliseconds(5));
    co_await (*transport)->Shutdown(clock.Now() + absl::Seconds(1));
  };
  asio::co_spawn(io, control(), asio::detached);
  io.run();

  std::vector<double> all;
  for (auto& l : shared.latencies_us) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  std::printf(
      "{\"target\":\"cohort\",\"clients\":%d,\"conns\":%d,\"puts\":%zu,\"errors\":%llu,"
      "\"seconds\":%.6f,\"puts_per_s\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f}\n",
      flags.clients, conns, all.size(), static_cast<unsigned long long>(shared.errors.load()),
      seconds, static_cast<double>(all.size()) / seconds, Percentile(all, 0.50),
      Percentile(all, 0.99));
  return 0;
}
