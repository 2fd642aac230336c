#include "cohort/base/status.h"

#include <string>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "cohort/base/async.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<int> Parse(const std::string& s) {
  if (s.empty()) return absl::InvalidArgumentError("empty input");
  return static_cast<int>(s.size());
}

absl::Status Check(bool ok) {
  return ok ? absl::OkStatus() : absl::UnavailableError("down");
}

absl::Status UsesReturnIfError(bool ok, int* reached) {
  COHORT_RETURN_IF_ERROR(Check(ok));
  ++*reached;
  return absl::OkStatus();
}

absl::StatusOr<int> UsesAssignOrReturn(const std::string& s) {
  COHORT_ASSIGN_OR_RETURN(int n, Parse(s));
  int doubled = 0;
  COHORT_ASSIGN_OR_RETURN(doubled, Parse(s + s));  // existing lvalue
  return n + doubled;
}

TEST(StatusMacrosTest, ReturnIfErrorPassesOkThrough) {
  int reached = 0;
  EXPECT_THAT(UsesReturnIfError(true, &reached), IsOk());
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsError) {
  int reached = 0;
  EXPECT_THAT(UsesReturnIfError(false, &reached),
              StatusIs(absl::StatusCode::kUnavailable, "down"));
  EXPECT_EQ(reached, 0);
}

TEST(StatusMacrosTest, ReturnIfErrorAcceptsStatusOr) {
  auto f = []() -> absl::Status {
    COHORT_RETURN_IF_ERROR(Parse(""));
    return absl::OkStatus();
  };
  EXPECT_THAT(f(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusMacrosTest, AssignOrReturn) {
  EXPECT_THAT(UsesAssignOrReturn("ab"), IsOkAndHolds(6));
  EXPECT_THAT(UsesAssignOrReturn(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

Awaitable<absl::StatusOr<int>> AsyncParse(std::string s) { co_return Parse(s); }

Awaitable<absl::StatusOr<int>> CoroutineUser(std::string s, bool gate) {
  COHORT_CO_RETURN_IF_ERROR(Check(gate));
  COHORT_CO_ASSIGN_OR_RETURN(int n, co_await AsyncParse(s));
  co_return n * 10;
}

TEST(StatusMacrosTest, CoroutineTwins) {
  asio::io_context io;
  std::vector<absl::StatusOr<int>> results;
  auto run = [&](std::string s, bool gate) {
    asio::co_spawn(
        io,
        [&, s, gate]() -> Awaitable<void> {
          results.push_back(co_await CoroutineUser(s, gate));
        },
        asio::detached);
  };
  run("abc", true);
  run("", true);
  run("abc", false);
  io.run();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_THAT(results[0], IsOkAndHolds(30));
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(results[2], StatusIs(absl::StatusCode::kUnavailable));
}

TEST(StatusMatchersTest, NegationsDescribe) {
  EXPECT_THAT(absl::InternalError("x"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(3), Not(IsOkAndHolds(4)));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("k")), Not(IsOkAndHolds(4)));
  EXPECT_THAT(absl::NotFoundError("k"), Not(StatusIs(absl::StatusCode::kInternal)));
}

TEST(AnnotateTest, PrependsContextAndKeepsCodeAndPayload) {
  absl::Status s = absl::UnavailableError("connection refused");
  s.SetPayload("cohort/test", absl::Cord("p"));
  absl::Status a = Annotate(s, "dialing 127.0.0.1:1");
  EXPECT_THAT(a, StatusIs(absl::StatusCode::kUnavailable,
                          "dialing 127.0.0.1:1: connection refused"));
  ASSERT_TRUE(a.GetPayload("cohort/test").has_value());
  EXPECT_EQ(*a.GetPayload("cohort/test"), "p");
  EXPECT_THAT(Annotate(absl::OkStatus(), "ctx"), IsOk());
}

TEST(StatusSummaryTest, CodeAndMessageWithoutPayloads) {
  absl::Status s = absl::UnavailableError("down");
  s.SetPayload("cohort/test", absl::Cord("\x01\x02"));
  EXPECT_EQ(StatusSummary(s), "UNAVAILABLE: down");
  EXPECT_EQ(StatusSummary(absl::OkStatus()), "OK");
}

}  // namespace
}  // namespace cohort
