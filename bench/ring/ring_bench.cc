// cohort::ring lookups, side by side with libmemcached's own ketama lookup on
// the same server lists and the same keys, in one binary and one run.
//
//   build-ring/bench/ring/ring_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true    (one command line)
//
// Every lookup benchmark cycles through kKeyCount pre-generated keys (~20
// bytes, "key:<random 64-bit>") so the key bytes stay in cache and the ring
// access pattern is random, as in a real cache client.
#include <libmemcached-1.0/memcached.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "cohort/base/random.h"
#include "cohort/ring/bounded_load.h"
#include "cohort/ring/hash.h"
#include "cohort/ring/hash_ring.h"
#include "cohort/ring/jump_hash.h"
#include "cohort/ring/ketama.h"
#include "cohort/ring/rendezvous.h"

namespace cohort::ring {
namespace {

constexpr std::size_t kKeyCount = 4096;  // power of two: index with a mask

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    Random rng(380);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < kKeyCount; ++i) out.push_back(absl::StrCat("key:", rng.Next64()));
    return out;
  }();
  return keys;
}

HashRing MakeRing(int nodes, int points) {
  HashRingBuilder b = HashRingBuilder::Create({.points_per_node = points}).value();
  for (int i = 0; i < nodes; ++i) {
    (void)b.AddNode(absl::StrCat("10.1.", i / 256, ".", i % 256, ":11211"));
  }
  return b.Build().value();
}

std::vector<KetamaServer> Servers(int n) {
  std::vector<KetamaServer> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({absl::StrCat("10.1.", i / 256, ".", i % 256), 11211,
                   static_cast<std::uint32_t>(1 + i % 3)});
  }
  return out;
}

void BM_HashRingOwner(benchmark::State& state) {
  const HashRing ring = MakeRing(static_cast<int>(state.range(0)), 160);
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto owner = ring.OwnerIndex(keys[i++ & (kKeyCount - 1)]);
    benchmark::DoNotOptimize(owner);
  }
}
BENCHMARK(BM_HashRingOwner)->ArgName("nodes")->Arg(10)->Arg(100)->Arg(1000);

void BM_HashRingSuccessors3(benchmark::State& state) {
  const HashRing ring = MakeRing(static_cast<int>(state.range(0)), 160);
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto owners = ring.Successors(keys[i++ & (kKeyCount - 1)], 3);
    benchmark::DoNotOptimize(owners);
  }
}
BENCHMARK(BM_HashRingSuccessors3)->ArgName("nodes")->Arg(100)->Arg(1000);

void BM_HashRingBuild(benchmark::State& state) {
  HashRingBuilder b = HashRingBuilder::Create().value();
  for (int i = 0; i < state.range(0); ++i) (void)b.AddNode(absl::StrCat("node-", i));
  for (auto _ : state) {
    auto ring = b.Build();
    benchmark::DoNotOptimize(ring);
  }
}
BENCHMARK(BM_HashRingBuild)->ArgName("nodes")->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_KetamaOwner(benchmark::State& state) {
  const KetamaRing ring = KetamaRing::Create(Servers(static_cast<int>(state.range(0)))).value();
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto owner = ring.OwnerIndex(keys[i++ & (kKeyCount - 1)]);
    benchmark::DoNotOptimize(owner);
  }
}
BENCHMARK(BM_KetamaOwner)->ArgName("servers")->Arg(10)->Arg(100)->Arg(1000);

struct MemcachedDeleter {
  void operator()(memcached_st* m) const { memcached_free(m); }
};

void BM_LibmemcachedKetamaOwner(benchmark::State& state) {
  std::unique_ptr<memcached_st, MemcachedDeleter> m(memcached_create(nullptr));
  memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
  for (const KetamaServer& s : Servers(static_cast<int>(state.range(0)))) {
    memcached_server_add_with_weight(m.get(), s.host.c_str(), static_cast<in_port_t>(s.port),
                                     s.weight);
  }
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ & (kKeyCount - 1)];
    benchmark::DoNotOptimize(memcached_generate_hash(m.get(), key.data(), key.size()));
  }
}
// libmemcached's continuum is capped at 100 servers x 100 points
// (MEMCACHED_CONTINUUM_SIZE); it asserts beyond that, so no 1000 here.
BENCHMARK(BM_LibmemcachedKetamaOwner)->ArgName("servers")->Arg(10)->Arg(100);

void BM_JumpHash(benchmark::State& state) {
  const auto buckets = static_cast<std::int32_t>(state.range(0));
  std::vector<std::uint64_t> keys;
  Random rng(1);
  for (std::size_t k = 0; k < kKeyCount; ++k) keys.push_back(rng.Next64());
  std::size_t i = 0;
  for (auto _ : state) {
    auto bucket = JumpHash(keys[i++ & (kKeyCount - 1)], buckets);
    benchmark::DoNotOptimize(bucket);
  }
}
// The loop runs ~ln(buckets) times, so the cost grows with the bucket count.
BENCHMARK(BM_JumpHash)->ArgName("buckets")->Arg(10)->Arg(100)->Arg(1000);

// The peer: the algorithm exactly as Lamping and Veach print it, inlined into
// the benchmark with no argument checking, to show what the loop itself costs.
std::int32_t PaperJumpConsistentHash(std::uint64_t key, std::int32_t num_buckets) {
  std::int64_t b = -1, j = 0;
  while (j < num_buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1LL << 31) /
                                   static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::int32_t>(b);
}

void BM_JumpHashPaperReference(benchmark::State& state) {
  const auto buckets = static_cast<std::int32_t>(state.range(0));
  std::vector<std::uint64_t> keys;
  Random rng(1);
  for (std::size_t k = 0; k < kKeyCount; ++k) keys.push_back(rng.Next64());
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PaperJumpConsistentHash(keys[i++ & (kKeyCount - 1)], buckets));
  }
}
BENCHMARK(BM_JumpHashPaperReference)->ArgName("buckets")->Arg(10)->Arg(100)->Arg(1000);

void BM_JumpHashKey(benchmark::State& state) {
  const auto buckets = static_cast<std::int32_t>(state.range(0));
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto bucket = JumpHashKey(keys[i++ & (kKeyCount - 1)], buckets);
    benchmark::DoNotOptimize(bucket);
  }
}
BENCHMARK(BM_JumpHashKey)->ArgName("buckets")->Arg(1000);

void BM_Rendezvous(benchmark::State& state) {
  std::vector<RingNode> nodes;
  for (int i = 0; i < state.range(0); ++i) {
    nodes.push_back({absl::StrCat("node-", i), state.range(1) ? 1.0 + i % 3 : 1.0});
  }
  const RendezvousHash r = RendezvousHash::Create(nodes).value();
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto owner = r.OwnerIndex(keys[i++ & (kKeyCount - 1)]);
    benchmark::DoNotOptimize(owner);
  }
}
BENCHMARK(BM_Rendezvous)->ArgNames({"nodes", "weighted"})->ArgsProduct({{10, 100}, {0, 1}});

void BM_Hash64(benchmark::State& state) {
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(Hash64(keys[i++ & (kKeyCount - 1)]));
}
BENCHMARK(BM_Hash64);

void BM_BoundedLoadAssignRelease(benchmark::State& state) {
  auto lb = NewBoundedLoadBalancer(MakeRing(static_cast<int>(state.range(0)), 160)).value();
  const auto& keys = Keys();
  // Keep ~10 items per node resident so capacities bind now and then.
  for (int i = 0; i < state.range(0) * 10; ++i) (void)lb->Assign(keys[i & (kKeyCount - 1)]);
  std::size_t i = 0;
  for (auto _ : state) {
    auto node = lb->Assign(keys[i++ & (kKeyCount - 1)]);
    (void)lb->Release(*node);
  }
}
BENCHMARK(BM_BoundedLoadAssignRelease)->ArgName("nodes")->Arg(100);

}  // namespace
}  // namespace cohort::ring
BENCHMARK_MAIN();
