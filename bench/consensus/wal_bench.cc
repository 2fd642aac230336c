// Write-ahead log throughput with group commit, beside the disk's raw
// fdatasync ceiling measured in the same run and directory. Prints JSON.
//
//   build/bench/consensus/wal_bench [--dir D] [--seconds S] [--entry-bytes B]
//
// For each batch size (1, 16, 256 entries per Append, i.e. per fdatasync):
// records/s and syncs/s. Then one entry per Append with zeros written ahead
// (the default) and without (fallocated space only), by one log and by
// three logs at once (three members sharing a disk), to show what writing
// zeros ahead saves each sync. The ceiling is a 256-byte pwrite + fdatasync loop on
// a preallocated file (measured before and after the log runs): what one
// synchronous writer can get from this disk.
// Every run starts in a fresh subdirectory of --dir (default: the current
// directory, which must be on the disk you want to measure, not tmpfs).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "consensus/wal/file_system.h"
#include "consensus/wal/wal.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace wal = cohort::consensus::wal;
namespace raft = cohort::consensus::raft;

struct Result {
  double seconds = 0;
  std::uint64_t records = 0;
  std::uint64_t syncs = 0;
};

Result RawSyncCeiling(const std::filesystem::path& dir, double seconds, std::size_t bytes) {
  const std::string path = (dir / "raw_sync").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::posix_fallocate(fd, 0, 64 << 20) != 0 || ::fsync(fd) != 0) {
    std::fprintf(stderr, "cannot prepare %s\n", path.c_str());
    std::exit(1);
  }
  const std::string buf(bytes, 'r');
  Result r;
  const auto start = Clock::now();
  std::uint64_t offset = 0;
  while (true) {
    if (::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(buf.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("raw sync");
      std::exit(1);
    }
    offset = (offset + bytes) % (60 << 20);
    ++r.records;
    ++r.syncs;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (r.seconds >= seconds) break;
  }
  ::close(fd);
  return r;
}

Result WalAppends(const std::filesystem::path& dir, double seconds, std::size_t bytes,
                  std::size_t batch_size, wal::FileSystem* fs, std::uint64_t zero_ahead,
                  const std::string& name) {
  wal::WalOptions o;
  o.dir = (dir / name).string();
  o.zero_ahead_bytes = zero_ahead;
  o.fs = fs;
  o.cluster_id = 1;
  o.node_id = 1;
  o.entry_cache_bytes = 8 << 20;
  auto w = wal::Wal::Open(o);
  if (!w.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(w.status().message()).c_str());
    std::exit(1);
  }
  const std::string data(bytes, 'e');
  Result r;
  raft::Index next = 1;
  const auto syncs_before = (*w)->GetStats().syncs;
  const auto start = Clock::now();
  while (true) {
    wal::WalBatch batch;
    batch.entries.reserve(batch_size);
    for (std::size_t i = 0; i < batch_size; ++i) {
      batch.entries.push_back(raft::Entry{1, next++, raft::EntryType::kNormal, data});
    }
    batch.hard_state = raft::HardState{1, 1, next > 1000 ? next - 1000 : 0};
    if (auto s = (*w)->Append(batch); !s.ok()) {
      std::fprintf(stderr, "append: %s\n", std::string(s.message()).c_str());
      std::exit(1);
    }
    r.records += batch_size;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (r.seconds >= seconds) break;
  }
  r.syncs = (*w)->GetStats().syncs - syncs_before;
  return r;
}

// `logs` logs appending one entry at a time, each on its own thread.
Result ConcurrentAppends(const std::filesystem::path& dir, double seconds, std::size_t bytes,
                         wal::FileSystem* fs, std::uint64_t zero_ahead, int logs) {
  std::vector<Result> results(static_cast<std::size_t>(logs));
  std::vector<std::thread> threads;
  for (int i = 0; i < logs; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] =
          WalAppends(dir, seconds, bytes, 1, fs, zero_ahead,
                     "wal_concurrent_" + std::to_string(zero_ahead) + "_" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  Result sum;
  for (const Result& r : results) {
    sum.records += r.records;
    sum.syncs += r.syncs;
    sum.seconds = std::max(sum.seconds, r.seconds);
  }
  return sum;
}

void Print(const char* name, std::size_t batch, const Result& r, bool last) {
  std::printf(
      "    {\"name\": \"%s\", \"batch\": %zu, \"seconds\": %.3f, \"records\": %llu, "
      "\"syncs\": %llu, \"records_per_s\": %.0f, \"syncs_per_s\": %.0f}%s\n",
      name, batch, r.seconds, static_cast<unsigned long long>(r.records),
      static_cast<unsigned long long>(r.syncs), r.records / r.seconds, r.syncs / r.seconds,
      last ? "" : ",");
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path base = std::filesystem::current_path();
  double seconds = 2.0;
  std::size_t bytes = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") {
      base = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--entry-bytes") {
      bytes = static_cast<std::size_t>(std::atol(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: %s [--dir D] [--seconds S] [--entry-bytes B]\n", argv[0]);
      return 2;
    }
  }
  const std::filesystem::path dir = base / ("cohort_wal_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto fs = wal::NewPosixFileSystem();

  const Result raw = RawSyncCeiling(dir, seconds, bytes);
  std::vector<std::pair<std::size_t, Result>> runs;
  const std::uint64_t zero_ahead = wal::WalOptions{}.zero_ahead_bytes;
  for (std::size_t batch : {1, 16, 256}) {
    runs.emplace_back(batch, WalAppends(dir, seconds, bytes, batch, fs.get(), zero_ahead,
                                        "wal_batch_" + std::to_string(batch)));
  }
  const Result fallocated_only = WalAppends(dir, seconds, bytes, 1, fs.get(), 0, "wal_no_zeros");
  const Result three_zeroed = ConcurrentAppends(dir, seconds, bytes, fs.get(), zero_ahead, 3);
  const Result three_fallocated = ConcurrentAppends(dir, seconds, bytes, fs.get(), 0, 3);
  // Again at the end: the disk is shared, so a drift between the two shows
  // how far to trust the comparison.
  const Result raw_after = RawSyncCeiling(dir, seconds, bytes);
  std::filesystem::remove_all(dir);

  std::printf("{\n  \"benchmark\": \"wal_group_commit\",\n  \"entry_bytes\": %zu,\n  \"dir\": \"%s\",\n",
              bytes, base.string().c_str());
  std::printf("  \"results\": [\n");
  Print("raw_pwrite_fdatasync_before", 1, raw, false);
  Print("raw_pwrite_fdatasync_after", 1, raw_after, false);
  for (const auto& [batch, result] : runs) Print("wal_append", batch, result, false);
  Print("wal_append_fallocated_only", 1, fallocated_only, false);
  Print("three_logs_zeros_ahead", 1, three_zeroed, false);
  Print("three_logs_fallocated_only", 1, three_fallocated, true);
  std::printf("  ]\n}\n");
  return 0;
}
