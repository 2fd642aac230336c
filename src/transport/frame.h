// The wire frame: the unit every cohort connection carries.
//
//   offset size  field
//   0      2     magic 0xC0 0x4F
//   2      1     format version (kFrameVersion)
//   3      1     frame type (FrameType)
//   4      4     flags (for the RPC layer: kFrameFlagOneWay; others zero)
//   8      8     correlation id (matches a response to its request)
//   16     4     payload length in bytes
//   20     4     masked CRC32C of the payload
//   24     4     masked CRC32C of bytes 0..23 of the header
//   28     ...   payload
//
// All integers are little-endian. The header has its own checksum so that a
// corrupted length is caught before the reader waits for, or allocates, the
// bytes it claims; the length is then checked against the connection's limit
// before any allocation.
#ifndef COHORT_SRC_TRANSPORT_FRAME_H_
#define COHORT_SRC_TRANSPORT_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cohort::transport {

inline constexpr std::uint8_t kFrameMagic0 = 0xC0;
inline constexpr std::uint8_t kFrameMagic1 = 0x4F;
inline constexpr std::uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 28;
// The default and the largest allowed payload limit.
inline constexpr std::uint32_t kDefaultMaxPayload = 16u << 20;
inline constexpr std::uint32_t kMaxMaxPayload = 1u << 30;

enum class FrameType : std::uint8_t {
  kRequest = 1,
  kResponse = 2,
  kCancel = 3,  // the caller gave up on correlation_id
  kPing = 4,
  kPong = 5,
  kGoAway = 6,  // the sender is draining: no new requests on this connection
};

// On a kRequest frame: the caller expects no response (Transport::Send);
// the correlation id is 0 and the server answers nothing, not even errors.
inline constexpr std::uint32_t kFrameFlagOneWay = 1;

struct FrameHeader {
  FrameType type = FrameType::kRequest;
  std::uint32_t flags = 0;
  std::uint64_t correlation_id = 0;
  std::uint32_t payload_length = 0;
  std::uint32_t payload_crc = 0;  // unmasked CRC32C of the payload
};

struct Frame {
  FrameHeader header;
  std::string payload;
};

// Appends the encoding of a frame of `type` carrying `payload` to `out`.
// kInvalidArgument if the payload exceeds `max_payload`.
absl::Status AppendFrame(FrameType type, std::uint32_t flags, std::uint64_t correlation_id,
                         std::string_view payload, std::string* out,
                         std::uint32_t max_payload = kDefaultMaxPayload);

// Decodes and checks a header (magic, version, type, header checksum, and
// payload length <= `max_payload`). Allocates nothing.
//   kDataLoss           bad magic or header checksum: the stream is not a
//                       cohort stream or is corrupt; close the connection.
//   kUnimplemented      a version or frame type this build does not speak.
//   kResourceExhausted  the payload exceeds `max_payload`.
absl::StatusOr<FrameHeader> DecodeFrameHeader(
    const std::array<std::byte, kFrameHeaderSize>& bytes,
    std::uint32_t max_payload = kDefaultMaxPayload);

// kDataLoss if `payload` does not match the header's length and checksum.
absl::Status VerifyFramePayload(const FrameHeader& header, std::string_view payload);

// Decodes one whole frame from the front of `buffer`, for callers holding
// bytes in memory. Returns the frame and sets `*consumed`; returns
// kUnavailable with *consumed = 0 when `buffer` holds only part of a frame
// (read more and call again); other codes as above. Bad magic bytes are
// refused as soon as the first two bytes are there.
absl::StatusOr<Frame> DecodeFrame(std::string_view buffer, std::size_t* consumed,
                                  std::uint32_t max_payload = kDefaultMaxPayload);

}  // namespace cohort::transport

#endif  // COHORT_SRC_TRANSPORT_FRAME_H_
