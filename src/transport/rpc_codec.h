// Encoding of RPC requests and responses inside frame payloads.
//
// Request  (FrameType::kRequest):  method, timeout, traceparent, tracestate, body
// Response (FrameType::kResponse): status code, message, payloads, body
//
// Strings are a varint length followed by the bytes; integers are unsigned
// LEB128 varints. The timeout is relative (nanoseconds left when sent, 0 for
// none), as in gRPC, so that clock offsets between hosts do not move
// deadlines; the receiver adds it to its own clock. Status payloads (retry-
// after hints, leader hints, not-sent markers) cross the wire intact.
//
// Decoders check every length against the bytes that remain before copying,
// so a hostile payload cannot make them allocate more than it is long.
#ifndef COHORT_SRC_TRANSPORT_RPC_CODEC_H_
#define COHORT_SRC_TRANSPORT_RPC_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/transport/transport.h"

namespace cohort::transport {

struct RpcRequest {
  std::string method{};
  // Zero: no deadline.
  absl::Duration timeout = absl::ZeroDuration();
  TraceContext trace{};
  std::string body{};
};

struct RpcResponse {
  // The handler's status; OK with `body`, or an error (body empty).
  absl::Status status{};
  std::string body{};
};

void EncodeRequest(const RpcRequest& request, std::string* out);
void EncodeResponse(const RpcResponse& response, std::string* out);

// kDataLoss naming the malformed field; the connection should be closed.
absl::StatusOr<RpcRequest> DecodeRequest(std::string_view payload);
absl::StatusOr<RpcResponse> DecodeResponse(std::string_view payload);

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_RPC_CODEC_H_
