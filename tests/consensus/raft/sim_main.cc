// Runs the Raft simulation over a range of seeds, or replays one.
//
//   raft_sim --seeds=10000 [--first=1]     every seed in [first, first+seeds)
//   raft_sim --seed=N [--verbose]          one seed (prints each event)
//   [--fault_ticks=T] [--liveness_ticks=L]
//
// A failing seed prints itself with the command that replays it; the exit
// status is 1 if any seed failed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "consensus/raft/sim.h"

namespace {

bool Flag(const char* arg, const char* name, std::uint64_t* value) {
  const std::size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = std::strtoull(arg + n + 1, nullptr, 10);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using cohort::consensus::raft::sim::RunSimulation;
  using cohort::consensus::raft::sim::SimConfig;
  std::uint64_t first = 1;
  std::uint64_t seeds = 100;
  std::uint64_t single = 0;
  std::uint64_t fault_ticks = SimConfig{}.fault_ticks;
  std::uint64_t liveness_ticks = SimConfig{}.liveness_ticks;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    if (Flag(argv[i], "--first", &first) || Flag(argv[i], "--seeds", &seeds) ||
        Flag(argv[i], "--seed", &single) || Flag(argv[i], "--fault_ticks", &fault_ticks) ||
        Flag(argv[i], "--liveness_ticks", &liveness_ticks)) {
      continue;
    }
    if (std::strcmp(argv[i], "--verbose") == 0) {
      verbose = true;
      continue;
    }
    std::fprintf(stderr, "unknown flag %s\n", argv[i]);
    return 2;
  }
  if (single != 0) {
    first = single;
    seeds = 1;
  }
  std::uint64_t failed = 0;
  std::uint64_t steps = 0;
  std::uint64_t committed = 0;
  std::uint64_t crashes = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t confs = 0;
  std::uint64_t reads = 0;
  std::uint64_t leaders = 0;
  for (std::uint64_t seed = first; seed < first + seeds; ++seed) {
    SimConfig config;
    config.seed = seed;
    config.fault_ticks = static_cast<int>(fault_ticks);
    config.liveness_ticks = static_cast<int>(liveness_ticks);
    config.verbose = verbose;
    const auto result = RunSimulation(config);
    steps += result.steps;
    committed += result.committed;
    crashes += static_cast<std::uint64_t>(result.crashes);
    snapshots += static_cast<std::uint64_t>(result.snapshots_installed);
    confs += static_cast<std::uint64_t>(result.conf_changes_applied);
    reads += static_cast<std::uint64_t>(result.reads);
    leaders += static_cast<std::uint64_t>(result.leaders);
    if (!result.ok) {
      ++failed;
      std::printf("FAIL %s\n  replay: %s --seed=%llu --verbose\n", result.failure.c_str(),
                  argv[0], static_cast<unsigned long long>(seed));
    } else if (seeds == 1) {
      std::printf("seed %llu ok: digest %016llx, %llu steps, %llu committed, %d leaders\n",
                  static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(result.digest),
                  static_cast<unsigned long long>(result.steps),
                  static_cast<unsigned long long>(result.committed), result.leaders);
    }
  }
  std::printf(
      "%llu seeds, %llu failed; totals: %llu steps, %llu entries committed, %llu leaders, "
      "%llu crashes, %llu snapshots installed, %llu conf changes applied, %llu reads\n",
      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(steps), static_cast<unsigned long long>(committed),
      static_cast<unsigned long long>(leaders), static_cast<unsigned long long>(crashes),
      static_cast<unsigned long long>(snapshots), static_cast<unsigned long long>(confs),
      static_cast<unsigned long long>(reads));
  return failed == 0 ? 0 : 1;
}
