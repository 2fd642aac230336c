// file:// crash safety: a child process writes objects in a loop (whole Puts
// and streamed writers, new keys and overwrites) and is SIGKILLed at a
// different point in each round; the parent then reopens the root and checks
// that every visible object is complete, matches its ETag and metadata, and
// that every write the child saw acknowledged is there.
//
// The child reports progress through a pipe (before each write, after each
// streamed chunk, after each commit); the parent kills it after a number of
// reports that changes every round. No sleeps: the parent blocks on the pipe.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "blob/digest.h"
#include "cohort/blob/local.h"
#include "cohort/testing/status_matchers.h"
#include "conformance.h"
#include "gmock/gmock.h"

namespace cohort::blob::testing {
namespace {

using ::cohort::testing::IsOk;

constexpr int kKeys = 6;
constexpr int kRounds = 12;
constexpr char kContentType[] = "application/x-crash-test";

struct Report {
  char type;  // 'b' begin, 'w' chunk written, 'c' committed, 'e' error
  char pad[3];
  std::uint32_t key;
  std::uint64_t version;
};

std::string KeyName(std::uint32_t k) {
  return k % 2 == 0 ? "flat-" + std::to_string(k) : "dir/sub" + std::to_string(k) + "/obj";
}

std::size_t SizeOf(std::uint64_t version) { return 1 + (version * 7919) % (900 * 1024); }

void Send(int fd, char type, std::uint32_t key, std::uint64_t version) {
  Report r{type, {}, key, version};
  if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(3);
}

// Runs in the child; never returns.
[[noreturn]] void WriterLoop(const std::string& root, int fd, int round) {
  Driver driver;
  SimulatedClock clock;
  Context ctx;
  ctx.executor = driver.io().get_executor();
  ctx.clock = &clock;
  ctx.seed = static_cast<std::uint64_t>(round);
  auto opened = OpenFileBlobStorage(root, FileBlobOptions{}, ctx);
  if (!opened.ok()) {
    Send(fd, 'e', 0, 0);
    ::_exit(1);
  }
  BlobStorage& storage = **opened;
  for (std::uint64_t i = 0;; ++i) {
    const std::uint64_t version = static_cast<std::uint64_t>(round) * 1'000'000 + i;
    const auto key = static_cast<std::uint32_t>((i * 5 + static_cast<std::uint64_t>(round)) % kKeys);
    const std::string data = PatternBytes(SizeOf(version), version);
    PutOptions options;
    options.content_type = kContentType;
    options.metadata = {{"version", std::to_string(version)}, {"key", KeyName(key)}};
    Send(fd, 'b', key, version);
    absl::Status status;
    if (i % 2 == 0) {
      status = driver.Run(storage.Put(KeyName(key), data, options)).status();
    } else {
      auto writer = driver.Run(storage.OpenWriter(KeyName(key), options));
      status = writer.status();
      for (std::size_t off = 0; status.ok() && off < data.size(); off += 128 * 1024) {
        const std::string_view chunk = std::string_view(data).substr(off, 128 * 1024);
        status = driver.Run((*writer)->Write(std::as_bytes(std::span(chunk.data(), chunk.size()))));
        Send(fd, 'w', key, version);
      }
      if (status.ok()) status = driver.Run((*writer)->Commit()).status();
    }
    if (!status.ok()) {
      Send(fd, 'e', key, version);
      ::_exit(2);
    }
    Send(fd, 'c', key, version);
  }
}

int CountTemporaryFiles(const std::string& root) {
  int n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(".cohort-tmp-")) ++n;
  }
  return n;
}

TEST(FileCrashTest, KilledWritersNeverLeaveABrokenObject) {
  const std::string scratch = MakeScratchDirectory();
  const std::string root = scratch + "/root";
  std::map<std::uint32_t, std::uint64_t> acknowledged;  // key -> last committed version
  int kills_mid_write = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      WriterLoop(root, fds[1], round);
    }
    ::close(fds[1]);
    // Kill after 1 to 29 reports, a different point in every round.
    const int reports_before_kill = 1 + (round * 11) % 29;
    char last = 0;
    for (int seen = 0; seen < reports_before_kill; ++seen) {
      Report r;
      ASSERT_EQ(::read(fds[0], &r, sizeof r), static_cast<ssize_t>(sizeof r));
      ASSERT_NE(r.type, 'e') << "the child failed to write key " << r.key;
      if (r.type == 'c') acknowledged[r.key] = r.version;
      last = r.type;
    }
    if (last != 'c') ++kills_mid_write;
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus));
    ::close(fds[0]);

    // Reopen (which removes the killed writer's temporary files) and check.
    Driver driver;
    SimulatedClock clock;
    Context ctx;
    ctx.executor = driver.io().get_executor();
    ctx.clock = &clock;
    auto opened = OpenFileBlobStorage(root, FileBlobOptions{}, ctx);
    ASSERT_THAT(opened, IsOk());
    BlobStorage& storage = **opened;
    EXPECT_EQ(CountTemporaryFiles(root), 0);
    auto page = driver.Run(storage.List({}));
    ASSERT_THAT(page, IsOk());
    std::map<std::uint32_t, std::uint64_t> visible;
    for (const BlobAttributes& entry : page->entries) {
      SCOPED_TRACE(entry.key);
      ASSERT_EQ(entry.content_type, kContentType);
      ASSERT_TRUE(entry.metadata.contains("version"));
      ASSERT_EQ(entry.metadata.at("key"), entry.key);
      const std::uint64_t version = std::stoull(entry.metadata.at("version"));
      auto content = driver.Run(storage.Get(entry.key, {}));
      ASSERT_THAT(content, IsOk());
      ASSERT_EQ(content->size(), SizeOf(version));
      ASSERT_TRUE(*content == PatternBytes(SizeOf(version), version)) << "content of v" << version;
      ASSERT_EQ(entry.etag, internal::Md5Hex(*content));
      for (std::uint32_t k = 0; k < kKeys; ++k) {
        if (KeyName(k) == entry.key) visible[k] = version;
      }
    }
    for (const auto& [key, version] : acknowledged) {
      ASSERT_TRUE(visible.contains(key)) << "acknowledged write of " << KeyName(key) << " lost";
      EXPECT_GE(visible[key], version) << KeyName(key);
    }
  }
  // The schedule kills the child inside a write (not between writes) in most
  // rounds; the check above covers both.
  EXPECT_GT(kills_mid_write, kRounds / 2);
  RemoveTree(scratch);
}

}  // namespace
}  // namespace cohort::blob::testing
