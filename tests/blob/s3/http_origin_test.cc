// The pieces of the HTTP client's own connections that do not depend on an
// exchange: splitting http:// URLs, host-name lookups handed back from their
// threads, and the idle keep-alive pool (closed, stale and surplus sockets).
#include "blob/s3/http_origin.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3::testing {
namespace {

TEST(ParseDirectTargetTest, SplitsPlainHttpUrls) {
  std::optional<DirectTarget> t = ParseDirectTarget("http://127.0.0.1:9000/b/k?partNumber=1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 9000);
  EXPECT_EQ(t->authority, "127.0.0.1:9000");
  EXPECT_EQ(t->path_and_query, "/b/k?partNumber=1");

  t = ParseDirectTarget("HTTP://[::1]:81?uploads");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, 81);
  EXPECT_EQ(t->path_and_query, "/?uploads");

  t = ParseDirectTarget("http://minio");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->port, 80);
  EXPECT_EQ(t->path_and_query, "/");
}

TEST(ParseDirectTargetTest, LeavesEverythingElseToLibcurl) {
  for (const char* url :
       {"https://h/k", "ftp://h/k", "http://user:pw@h/k", "http://h/k#frag", "http://h:0/k",
        "http://h:65536/k", "http://h:80x/k", "http://h:+80/k", "http://[::1/k", "http:///k",
        "http://h/a b", "http://h\t/k", "http://[::1]x/k", "http:/h"}) {
    EXPECT_FALSE(ParseDirectTarget(url).has_value()) << url;
  }
}

TEST(HostResolverTest, LooksUpOnItsOwnThreadAndHandsTheAnswerBack) {
  std::atomic<int> wakeups{0};
  HostResolver resolver([&] { ++wakeups; });
  absl::StatusOr<std::uint64_t> id = resolver.Start("localhost", 8080);
  ASSERT_TRUE(id.ok());
  std::vector<HostResolver::Answer> answers;
  // A lookup in /etc/hosts; the bound only keeps a broken test from hanging.
  for (int i = 0; i < 6000 && answers.empty(); ++i) {
    if (wakeups.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    answers = resolver.TakeAnswers();
  }
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].id, *id);
  EXPECT_EQ(answers[0].error, 0);
  EXPECT_FALSE(answers[0].addresses.empty());
  EXPECT_EQ(wakeups.load(), 1);
}

TEST(NumericAddressTest, LiteralsOnly) {
  EXPECT_TRUE(NumericAddress("127.0.0.1", 80).has_value());
  EXPECT_TRUE(NumericAddress("::1", 80).has_value());
  EXPECT_FALSE(NumericAddress("localhost", 80).has_value());
}

// A connected socket whose peer the test holds.
struct Pair {
  Pair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }
  int fds[2] = {-1, -1};
};

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(IdleConnectionsTest, ReusesLiveSocketsOnlyForTheirOrigin) {
  const absl::Time now = absl::UnixEpoch();
  IdleConnections idle(4, absl::Seconds(15));
  Pair a;
  idle.Put("h:80", a.fds[0], now);
  EXPECT_EQ(idle.Take("h:81", now), -1);
  EXPECT_EQ(idle.Take("h:80", now + absl::Seconds(1)), a.fds[0]);
  EXPECT_EQ(idle.Take("h:80", now), -1);
  ::close(a.fds[0]);
  ::close(a.fds[1]);
}

TEST(IdleConnectionsTest, ClosesWhatTheServerClosedOrWhatWaitedTooLong) {
  const absl::Time now = absl::UnixEpoch();
  IdleConnections idle(4, absl::Seconds(15));
  Pair closed, stale;
  ::close(closed.fds[1]);  // the server hung up
  idle.Put("h:80", stale.fds[0], now);
  idle.Put("h:80", closed.fds[0], now + absl::Seconds(10));
  EXPECT_EQ(idle.Take("h:80", now + absl::Seconds(16)), -1);
  EXPECT_FALSE(IsOpen(closed.fds[0]));
  EXPECT_FALSE(IsOpen(stale.fds[0]));
  ::close(stale.fds[1]);
}

TEST(IdleConnectionsTest, KeepsAtMostMaxIdle) {
  const absl::Time now = absl::UnixEpoch();
  Pair first, second;
  {
    IdleConnections idle(1, absl::Seconds(15));
    idle.Put("h:80", first.fds[0], now);
    idle.Put("h:80", second.fds[0], now);
    EXPECT_FALSE(IsOpen(first.fds[0]));  // the oldest went
    EXPECT_TRUE(IsOpen(second.fds[0]));
  }
  EXPECT_FALSE(IsOpen(second.fds[0]));  // closed with the pool
  ::close(first.fds[1]);
  ::close(second.fds[1]);
}

}  // namespace
}  // namespace cohort::blob::s3::testing
