// file:// Put and Get throughput beside the plain system calls a hand-rolled
// store would make for the same bytes, in the same run:
//
//   BM_FilePut/n/1      cohort: temp file, write, trailer, fsync, rename,
//                       fsync of the directory (FileBlobOptions defaults)
//   BM_FilePut/n/0      the same with FileBlobOptions::sync = false
//   BM_PlainWriteFsync  open(O_TRUNC) + write() + fsync() + close() of one file
//   BM_FileGet          cohort: Get of the whole object
//   BM_PlainRead        open() + read() + close() of one file
//
// Objects of 1 MiB and 64 MiB. The files live under $COHORT_BENCH_DIR (default
// $TMPDIR, then /tmp): point it at the disk you care about (tmpfs makes fsync
// free). Run:
//   ninja -C build blob_file_bench
//   build/bench/blob/blob_file_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <asio/io_context.hpp>

#include "cohort/base/blocking.h"
#include "cohort/base/context.h"
#include "cohort/blob/local.h"

namespace {

std::string BenchDirectory() {
  for (const char* var : {"COHORT_BENCH_DIR", "TMPDIR"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "/tmp";
}

std::string Bytes(std::size_t size) {
  std::string data(size, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data[i] = static_cast<char>(x);
  }
  return data;
}

// One store and one scratch directory per benchmark.
class Fixture {
 public:
  explicit Fixture(bool sync = true)
      : dir_(BenchDirectory() + "/cohort-blob-bench-" + std::to_string(::getpid())),
        real_(io_.get_executor()) {
    std::filesystem::create_directories(dir_);
    cohort::blob::FileBlobOptions options;
    options.sync = sync;
    auto opened = cohort::blob::OpenFileBlobStorage(dir_ + "/store", options, real_.context());
    if (!opened.ok()) std::abort();
    storage_ = std::move(*opened);
  }
  ~Fixture() {
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }
  cohort::blob::BlobStorage& storage() { return *storage_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  asio::io_context io_;
  cohort::RealContext real_;
  std::unique_ptr<cohort::blob::BlobStorage> storage_;
};

void BM_FilePut(benchmark::State& state) {
  Fixture fixture(/*sync=*/state.range(1) != 0);
  const std::string data = Bytes(static_cast<std::size_t>(state.range(0)));
  const cohort::blob::PutOptions options;
  for (auto _ : state) {
    auto put = cohort::RunBlocking(fixture.storage().Put("bench/object", data, options));
    if (!put.ok()) state.SkipWithError(std::string(put.status().message()).c_str());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_PlainWriteFsync(benchmark::State& state) {
  Fixture fixture;
  const std::string data = Bytes(static_cast<std::size_t>(state.range(0)));
  const std::string path = fixture.dir() + "/plain";
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || done != data.size()) state.SkipWithError("write/fsync failed");
    ::close(fd);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_FileGet(benchmark::State& state) {
  Fixture fixture;
  const std::string data = Bytes(static_cast<std::size_t>(state.range(0)));
  if (!cohort::RunBlocking(fixture.storage().Put("bench/object", data, {})).ok()) std::abort();
  const cohort::blob::GetOptions options;
  for (auto _ : state) {
    auto got = cohort::RunBlocking(fixture.storage().Get("bench/object", options));
    if (!got.ok() || got->size() != data.size()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(got);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_PlainRead(benchmark::State& state) {
  Fixture fixture;
  const std::string data = Bytes(static_cast<std::size_t>(state.range(0)));
  const std::string path = fixture.dir() + "/plain";
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) std::abort();
    ::fsync(fd);
    ::close(fd);
  }
  for (auto _ : state) {
    // Same allocation pattern as Get: a fresh string of the object's size.
    std::string out(data.size(), '\0');
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (done != data.size()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

constexpr std::int64_t kMiB = 1 << 20;

// Real time: cohort's I/O runs on its pool threads, not the benchmark thread.
// Second argument: FileBlobOptions::sync (0 shows what the fsyncs cost).
BENCHMARK(BM_FilePut)
    ->ArgsProduct({{kMiB, 64 * kMiB}, {1, 0}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainWriteFsync)->Arg(kMiB)->Arg(64 * kMiB)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FileGet)->Arg(kMiB)->Arg(64 * kMiB)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainRead)->Arg(kMiB)->Arg(64 * kMiB)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
