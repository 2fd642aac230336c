#include "transport/rpc_codec.h"

#include <limits>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "base/internal/coding.h"
#include "cohort/base/status.h"

namespace cohort::transport {
namespace {

using coding::PutString;
using coding::PutVarint;

// Codes beyond kUnauthenticated are not defined by abseil; a peer sending one
// is broken.
constexpr std::uint64_t kMaxStatusCode = 16;
constexpr std::uint64_t kMaxPayloads = 64;

std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

void EncodeRequest(const RpcRequest& request, std::string* out) {
  PutString(request.method, out);
  const std::int64_t nanos =
      request.timeout <= absl::ZeroDuration() ? 0 : absl::ToInt64Nanoseconds(request.timeout);
  PutVarint(static_cast<std::uint64_t>(nanos), out);
  PutString(request.trace.traceparent, out);
  PutString(request.trace.tracestate, out);
  PutString(request.body, out);
}

void EncodeResponse(const RpcResponse& response, std::string* out) {
  PutVarint(static_cast<std::uint64_t>(response.status.code()), out);
  PutString(AsStd(response.status.message()), out);
  std::uint64_t payloads = 0;
  response.status.ForEachPayload([&](absl::string_view, const absl::Cord&) { ++payloads; });
  PutVarint(payloads, out);
  response.status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    PutString(AsStd(url), out);
    PutString(std::string(value), out);
  });
  PutString(response.body, out);
}

absl::StatusOr<RpcRequest> DecodeRequest(std::string_view payload) {
  coding::Reader in(payload, "RPC message");
  RpcRequest request;
  COHORT_ASSIGN_OR_RETURN(auto method, in.String("method"));
  if (method.empty()) return absl::DataLossError("RPC request has an empty method name");
  COHORT_ASSIGN_OR_RETURN(auto nanos, in.Varint("timeout"));
  if (nanos > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return absl::DataLossError("RPC request timeout out of range");
  }
  COHORT_ASSIGN_OR_RETURN(auto traceparent, in.String("traceparent"));
  COHORT_ASSIGN_OR_RETURN(auto tracestate, in.String("tracestate"));
  COHORT_ASSIGN_OR_RETURN(auto body, in.String("body"));
  if (absl::Status s = in.ExpectEnd(); !s.ok()) return s;
  request.method = std::string(method);
  request.timeout = absl::Nanoseconds(static_cast<std::int64_t>(nanos));
  request.trace.traceparent = std::string(traceparent);
  request.trace.tracestate = std::string(tracestate);
  request.body = std::string(body);
  return request;
}

absl::StatusOr<RpcResponse> DecodeResponse(std::string_view payload) {
  coding::Reader in(payload, "RPC message");
  RpcResponse response;
  COHORT_ASSIGN_OR_RETURN(auto code, in.Varint("status code"));
  if (code > kMaxStatusCode) {
    return absl::DataLossError(absl::StrCat("RPC response has unknown status code ", code));
  }
  COHORT_ASSIGN_OR_RETURN(auto message, in.String("status message"));
  COHORT_ASSIGN_OR_RETURN(auto count, in.Varint("payload count"));
  if (count > kMaxPayloads) {
    return absl::DataLossError(absl::StrCat("RPC response claims ", count, " status payloads"));
  }
  if (code == 0 && (!message.empty() || count > 0)) {
    return absl::DataLossError("RPC response has an OK status with a message or payloads");
  }
  absl::Status status(static_cast<absl::StatusCode>(code),
                      absl::string_view(message.data(), message.size()));
  for (std::uint64_t i = 0; i < count; ++i) {
    COHORT_ASSIGN_OR_RETURN(auto url, in.String("payload type"));
    COHORT_ASSIGN_OR_RETURN(auto value, in.String("payload value"));
    status.SetPayload(absl::string_view(url.data(), url.size()),
                      absl::Cord(absl::string_view(value.data(), value.size())));
  }
  COHORT_ASSIGN_OR_RETURN(auto body, in.String("body"));
  if (absl::Status s = in.ExpectEnd(); !s.ok()) return s;
  if (!status.ok() && !body.empty()) {
    return absl::DataLossError("RPC response has both an error status and a body");
  }
  response.status = std::move(status);
  response.body = std::string(body);
  return response;
}

}  // namespace cohort::transport
