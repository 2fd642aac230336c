// The disk's synchronous-write ceiling: one writer doing pwrite(256 bytes) +
// fdatasync in a loop on a preallocated file, for a fixed time. Prints one
// JSON object:
//
//   {"target":"fsync","bytes":256,"syncs":N,"seconds":S,"syncs_per_s":X,
//    "p50_us":A,"p99_us":B}
//
//   kv_fsync_ceiling --dir D [--seconds 2] [--bytes 256]
//
// run_kv_bench.sh runs it in the directory that holds the clusters' data, so
// that syncs_per_s is what an unbatched replicated store could at best commit
// per second on this disk: puts/s above it is what batching buys.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr off_t kFileBytes = 16 << 20;

int Usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s --dir D [--seconds S] [--bytes B]\n", argv0);
  return 2;
}

double Micros(SteadyClock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  double seconds = 2.0;
  long bytes = 256;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(argv[0]);
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--bytes") {
      bytes = std::atol(argv[i + 1]);
    } else {
      return Usage(argv[0]);
    }
  }
  if (dir.empty()) return Usage(argv[0]);
  if (seconds <= 0 || bytes < 1 || bytes > (1 << 20)) {
    std::fprintf(stderr, "--seconds must be > 0 and --bytes in [1, 1048576]\n");
    return 2;
  }

  const std::string path = dir + "/fsync_ceiling." + std::to_string(::getpid());
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  // Filled with real writes and synced first, so that every fdatasync below
  // flushes data only: fallocate would leave unwritten extents (ext4, xfs)
  // whose conversion on first write costs a journal commit per sync, which
  // understates what the disk can do. This is the ceiling, not a log's cost.
  bool prepared = fd >= 0;
  const std::string zeros(1 << 20, '\0');
  for (off_t at = 0; prepared && at < kFileBytes; at += static_cast<off_t>(zeros.size())) {
    prepared = ::pwrite(fd, zeros.data(), zeros.size(), at) == static_cast<ssize_t>(zeros.size());
  }
  if (!prepared || ::fsync(fd) != 0) {
    std::perror(("kv_fsync_ceiling: prepare " + path).c_str());
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
    return 1;
  }
  const std::string buf(static_cast<std::size_t>(bytes), 's');
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 16);
  off_t offset = 0;
  const auto start = SteadyClock::now();
  auto now = start;
  while (std::chrono::duration<double>(now - start).count() < seconds) {
    const auto before = now;
    if (::pwrite(fd, buf.data(), buf.size(), offset) != static_cast<ssize_t>(buf.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("kv_fsync_ceiling: pwrite/fdatasync");
      ::close(fd);
      ::unlink(path.c_str());
      return 1;
    }
    now = SteadyClock::now();
    latencies_us.push_back(Micros(now - before));
    offset = (offset + bytes) % (kFileBytes - bytes);
  }
  const double elapsed = std::chrono::duration<double>(now - start).count();
  ::close(fd);
  ::unlink(path.c_str());

  std::sort(latencies_us.begin(), latencies_us.end());
  const auto rank = [&](double q) {
    const auto n = latencies_us.size();
    auto idx = static_cast<std::size_t>(q * static_cast<double>(n) + 0.5);
    idx = std::clamp<std::size_t>(idx, 1, n) - 1;
    return latencies_us[idx];
  };
  std::printf(
      "{\"target\":\"fsync\",\"bytes\":%ld,\"syncs\":%zu,\"seconds\":%.3f,\"syncs_per_s\":%.1f,"
      "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
      bytes, latencies_us.size(), elapsed, static_cast<double>(latencies_us.size()) / elapsed,
      rank(0.50), rank(0.99));
  return 0;
}
