#include "transport/rpc_codec.h"

#include <string>

#include "absl/strings/cord.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RpcCodecTest, RequestRoundTrip) {
  RpcRequest in{.method = "raft.AppendEntries",
                .timeout = absl::Milliseconds(1500),
                .trace = {.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          .tracestate = "congo=t61rcWkgMzE"},
                .body = std::string("\0\x01\x02 binary", 10)};
  std::string wire;
  EncodeRequest(in, &wire);
  auto out = DecodeRequest(wire);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->method, in.method);
  EXPECT_EQ(out->timeout, in.timeout);
  EXPECT_EQ(out->trace.traceparent, in.trace.traceparent);
  EXPECT_EQ(out->trace.tracestate, in.trace.tracestate);
  EXPECT_EQ(out->body, in.body);
}

TEST(RpcCodecTest, NoTimeoutEncodesAsZero) {
  std::string wire;
  EncodeRequest({.method = "m", .timeout = -absl::Seconds(1)}, &wire);
  auto out = DecodeRequest(wire);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->timeout, absl::ZeroDuration());
}

TEST(RpcCodecTest, ErrorResponseKeepsCodeMessageAndPayloads) {
  absl::Status status = absl::UnavailableError("not the leader");
  status.SetPayload("type.cohort.dev/cohort.NotSent", absl::Cord(""));
  status.SetPayload("type.cohort.dev/cohort.consensus.LeaderHint", absl::Cord("3 127.0.0.1:7003"));
  std::string wire;
  EncodeResponse({.status = status}, &wire);
  auto out = DecodeResponse(wire);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->status, status);  // code, message and payloads
  EXPECT_TRUE(out->body.empty());
}

TEST(RpcCodecTest, OkResponseCarriesBody) {
  std::string wire;
  EncodeResponse({.status = absl::OkStatus(), .body = "value"}, &wire);
  auto out = DecodeResponse(wire);
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->status.ok());
  EXPECT_EQ(out->body, "value");
}

TEST(RpcCodecTest, EveryTruncationIsDataLoss) {
  std::string request, response;
  EncodeRequest({.method = "kv.Get", .timeout = absl::Seconds(2), .body = "key"}, &request);
  EncodeResponse({.status = absl::NotFoundError("no such key")}, &response);
  for (std::size_t cut = 0; cut < request.size(); ++cut) {
    EXPECT_THAT(DecodeRequest(std::string_view(request).substr(0, cut)),
                StatusIs(absl::StatusCode::kDataLoss))
        << cut;
  }
  for (std::size_t cut = 0; cut < response.size(); ++cut) {
    EXPECT_THAT(DecodeResponse(std::string_view(response).substr(0, cut)),
                StatusIs(absl::StatusCode::kDataLoss))
        << cut;
  }
}

TEST(RpcCodecTest, RejectsMalformedFields) {
  // A string claiming 2^62 bytes: refused without allocating.
  EXPECT_THAT(DecodeRequest(std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x40", 9)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("method")));
  // An 11-byte varint.
  EXPECT_THAT(DecodeResponse(std::string(11, '\xff')),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("overlong")));
  // Unknown status code 99.
  EXPECT_THAT(DecodeResponse(std::string("\x63\x00\x00\x00", 4)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("99")));
  // OK with a message.
  EXPECT_THAT(DecodeResponse(std::string("\x00\x01x\x00\x00", 5)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("OK status")));
  // Trailing bytes.
  std::string wire;
  EncodeRequest({.method = "m"}, &wire);
  wire += "junk";
  EXPECT_THAT(DecodeRequest(wire), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("trailing")));
  // Empty method.
  std::string empty;
  EncodeRequest({.method = ""}, &empty);
  EXPECT_THAT(DecodeRequest(empty), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("empty")));
}

}  // namespace
}  // namespace cohort::transport
