// One-way messages (Transport::Send) over real loopback sockets: delivery,
// order, no answer on the wire, and the statuses of messages that cannot go.
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cohort/resilience/status_hints.h"
#include "cohort/testing/status_matchers.h"
#include "cohort/transport/tcp_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loopback.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::IoThreads;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::cohort::testing::WaitFor;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Records every message it is handed, in arrival order.
struct Inbox {
  absl::Mutex mu;
  std::vector<std::string> bodies ABSL_GUARDED_BY(mu);
  std::vector<absl::Time> deadlines ABSL_GUARDED_BY(mu);

  Handler Recorder(absl::Status result = absl::OkStatus()) {
    return [this, result](const ServerCall& call,
                          std::string body) -> Awaitable<absl::StatusOr<std::string>> {
      absl::MutexLock lock(&mu);
      bodies.push_back(std::move(body));
      deadlines.push_back(call.deadline);
      if (!result.ok()) co_return result;
      co_return "an answer nobody reads";
    };
  }
  std::size_t size() {
    absl::MutexLock lock(&mu);
    return bodies.size();
  }
};

std::unique_ptr<TcpTransport> Make(const Context& ctx, bool listen) {
  TcpTransportOptions options;
  if (listen) options.listen_address = "127.0.0.1:0";
  auto transport = TcpTransport::Create(std::move(options), ctx);
  EXPECT_TRUE(transport.ok()) << transport.status();
  return *std::move(transport);
}

Awaitable<absl::StatusOr<std::string>> Echo(Transport& t, std::string peer, Clock* clock) {
  CallOptions options;
  options.deadline = clock->Now() + absl::Seconds(60);
  co_return co_await t.Call(peer, "echo", "still in step", options);
}

class TcpSendTest : public ::testing::Test {
 protected:
  CallOptions Within(absl::Duration d) {
    CallOptions options;
    options.deadline = clock()->Now() + d;
    return options;
  }
  Clock* clock() { return io_.context().clock; }
  IoThreads io_;
};

TEST_F(TcpSendTest, MessagesArriveInOrderAndNothingIsAnswered) {
  auto server = Make(io_.context(), true);
  Inbox inbox;
  ASSERT_TRUE(server->Register("note", inbox.Recorder()).ok());
  auto client = Make(io_.context(), false);
  std::vector<std::string> sent;
  const absl::Time before = clock()->Now();
  for (int i = 0; i < 500; ++i) {
    sent.push_back(absl::StrCat("message ", i, std::string(i % 7 * 100, 'x')));
    ASSERT_TRUE(client->Send(server->address(), "note", sent.back(), Within(absl::Seconds(60))).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return inbox.size() == sent.size(); }));
  {
    absl::MutexLock lock(&inbox.mu);
    EXPECT_THAT(inbox.bodies, ElementsAreArray(sent));
    // The deadline travels as with calls.
    EXPECT_GT(inbox.deadlines.front(), before);
    EXPECT_LE(inbox.deadlines.front(), clock()->Now() + absl::Seconds(60));
  }
  EXPECT_EQ(client->stats().messages_sent, sent.size());
  EXPECT_EQ(client->stats().calls_started, 0u);
  EXPECT_TRUE(WaitFor([&] { return server->stats().calls_served == sent.size(); }));
  EXPECT_EQ(server->stats().protocol_errors, 0u);
  // A call on the same connection afterwards gets its own answer: no stray
  // response was sent for the messages.
  ASSERT_TRUE(server->Register("echo", [](const ServerCall&, std::string body)
                                           -> Awaitable<absl::StatusOr<std::string>> {
                    co_return body;
                  }).ok());
  EXPECT_THAT(io_.Run(Echo(*client, server->address(), clock())), IsOkAndHolds("still in step"));
  EXPECT_EQ(client->stats().connections_opened, 1u);
  EXPECT_EQ(client->stats().protocol_errors, 0u);
}

TEST_F(TcpSendTest, FailingHandlersAndUnknownMethodsDropTheMessageOnly) {
  auto server = Make(io_.context(), true);
  Inbox failing, good;
  ASSERT_TRUE(server->Register("fails", failing.Recorder(absl::InternalError("no"))).ok());
  ASSERT_TRUE(server->Register("good", good.Recorder()).ok());
  auto client = Make(io_.context(), false);
  const std::string peer = server->address();
  ASSERT_TRUE(client->Send(peer, "fails", "a", Within(absl::Seconds(60))).ok());
  ASSERT_TRUE(client->Send(peer, "nobody-serves-this", "b", Within(absl::Seconds(60))).ok());
  ASSERT_TRUE(client->Send(peer, "good", "c", Within(absl::Seconds(60))).ok());
  ASSERT_TRUE(WaitFor([&] { return good.size() == 1; }));
  EXPECT_EQ(failing.size(), 1u);
  EXPECT_EQ(server->stats().protocol_errors, 0u);
  EXPECT_EQ(client->stats().connections_opened, 1u);
}

TEST_F(TcpSendTest, MessagesThatCannotGoSaySoAndAreMarkedNotSent) {
  auto server = Make(io_.context(), true);
  Inbox inbox;
  ASSERT_TRUE(server->Register("note", inbox.Recorder()).ok());
  auto client = Make(io_.context(), false);
  const std::string peer = server->address();

  CallOptions past;
  past.deadline = clock()->Now() - absl::Seconds(1);
  absl::Status late = client->Send(peer, "note", "late", past);
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(WasNotSent(late));

  absl::Status big = client->Send(peer, "note", std::string(TcpTransportOptions{}.max_frame_size + 1, 'x'),
                                  Within(absl::Seconds(60)));
  EXPECT_THAT(big, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("frame limit")));
  EXPECT_TRUE(WasNotSent(big));

  // Nobody listens there: the first message goes to a connection still
  // being made and is lost with it; once the connection has failed, the
  // transport backs off and says so.
  auto gone = Make(io_.context(), true);
  const std::string dead = gone->address();
  io_.Run(gone->Shutdown(clock()->Now() + absl::Seconds(5)));
  gone.reset();
  absl::Status refused;
  ASSERT_TRUE(WaitFor([&] {
    refused = client->Send(dead, "note", "x", Within(absl::Seconds(60)));
    return !refused.ok();
  }));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(WasNotSent(refused));

  io_.Run(client->Shutdown(clock()->Now() + absl::Seconds(5)));
  absl::Status closed = client->Send(peer, "note", "after", Within(absl::Seconds(60)));
  EXPECT_THAT(closed, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shut down")));
  EXPECT_TRUE(WasNotSent(closed));
  EXPECT_EQ(inbox.size(), 0u);
}

}  // namespace
}  // namespace cohort::transport
