#include "transport/frame.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "cohort/base/crc32c.h"

namespace cohort::transport {
namespace {

void PutLE(std::uint64_t v, int bytes, char* out) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t GetLE(const std::byte* in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::to_integer<std::uint64_t>(in[i]) << (8 * i);
  return v;
}

absl::Status BadMagic() {
  return absl::DataLossError(
      "not a cohort frame (bad magic bytes): the peer speaks another protocol or the "
      "stream is corrupt");
}

bool KnownType(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(FrameType::kRequest) &&
         type <= static_cast<std::uint8_t>(FrameType::kGoAway);
}

}  // namespace

absl::Status AppendFrame(FrameType type, std::uint32_t flags, std::uint64_t correlation_id,
                         std::string_view payload, std::string* out,
                         std::uint32_t max_payload) {
  if (payload.size() > max_payload) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame payload of ", payload.size(), " bytes exceeds the limit of ", max_payload,
        " bytes; raise the connection's max_frame_size or split the message"));
  }
  char header[kFrameHeaderSize];
  header[0] = static_cast<char>(kFrameMagic0);
  header[1] = static_cast<char>(kFrameMagic1);
  header[2] = static_cast<char>(kFrameVersion);
  header[3] = static_cast<char>(type);
  PutLE(flags, 4, header + 4);
  PutLE(correlation_id, 8, header + 8);
  PutLE(payload.size(), 4, header + 16);
  PutLE(crc32c::Mask(crc32c::Value(payload)), 4, header + 20);
  PutLE(crc32c::Mask(crc32c::Extend(0, header, 24)), 4, header + 24);
  out->append(header, kFrameHeaderSize);
  out->append(payload);
  return absl::OkStatus();
}

absl::StatusOr<FrameHeader> DecodeFrameHeader(
    const std::array<std::byte, kFrameHeaderSize>& bytes, std::uint32_t max_payload) {
  const std::byte* p = bytes.data();
  if (std::to_integer<std::uint8_t>(p[0]) != kFrameMagic0 ||
      std::to_integer<std::uint8_t>(p[1]) != kFrameMagic1) {
    return BadMagic();
  }
  const auto header_crc = static_cast<std::uint32_t>(GetLE(p + 24, 4));
  if (crc32c::Unmask(header_crc) != crc32c::Extend(0, p, 24)) {
    return absl::DataLossError("frame header checksum mismatch: the stream is corrupt");
  }
  const auto version = std::to_integer<std::uint8_t>(p[2]);
  if (version != kFrameVersion) {
    return absl::UnimplementedError(absl::StrCat("frame format version ", version,
                                                 " is not supported (this build speaks ",
                                                 kFrameVersion, "); upgrade the older side"));
  }
  const auto type = std::to_integer<std::uint8_t>(p[3]);
  if (!KnownType(type)) {
    return absl::UnimplementedError(absl::StrCat("unknown frame type ", type));
  }
  FrameHeader header;
  header.type = static_cast<FrameType>(type);
  header.flags = static_cast<std::uint32_t>(GetLE(p + 4, 4));
  header.correlation_id = GetLE(p + 8, 8);
  header.payload_length = static_cast<std::uint32_t>(GetLE(p + 16, 4));
  header.payload_crc = crc32c::Unmask(static_cast<std::uint32_t>(GetLE(p + 20, 4)));
  if (header.payload_length > max_payload) {
    return absl::ResourceExhaustedError(
        absl::StrCat("frame payload of ", header.payload_length,
                     " bytes exceeds this connection's limit of ", max_payload, " bytes"));
  }
  return header;
}

absl::Status VerifyFramePayload(const FrameHeader& header, std::string_view payload) {
  if (payload.size() != header.payload_length) {
    return absl::DataLossError(absl::StrCat("frame payload is ", payload.size(),
                                            " bytes, header says ", header.payload_length));
  }
  if (crc32c::Value(payload) != header.payload_crc) {
    return absl::DataLossError("frame payload checksum mismatch: the stream is corrupt");
  }
  return absl::OkStatus();
}

absl::StatusOr<Frame> DecodeFrame(std::string_view buffer, std::size_t* consumed,
                                  std::uint32_t max_payload) {
  *consumed = 0;
  // Refuse a foreign protocol as soon as its first bytes arrive, rather than
  // waiting for a whole header that may never come.
  if ((buffer.size() >= 1 && static_cast<std::uint8_t>(buffer[0]) != kFrameMagic0) ||
      (buffer.size() >= 2 && static_cast<std::uint8_t>(buffer[1]) != kFrameMagic1)) {
    return BadMagic();
  }
  if (buffer.size() < kFrameHeaderSize) {
    return absl::UnavailableError("incomplete frame header");
  }
  std::array<std::byte, kFrameHeaderSize> raw;
  std::memcpy(raw.data(), buffer.data(), kFrameHeaderSize);
  absl::StatusOr<FrameHeader> header = DecodeFrameHeader(raw, max_payload);
  if (!header.ok()) return header.status();
  if (buffer.size() - kFrameHeaderSize < header->payload_length) {
    return absl::UnavailableError("incomplete frame payload");
  }
  std::string_view payload = buffer.substr(kFrameHeaderSize, header->payload_length);
  if (absl::Status s = VerifyFramePayload(*header, payload); !s.ok()) return s;
  *consumed = kFrameHeaderSize + header->payload_length;
  return Frame{*header, std::string(payload)};
}

}  // namespace cohort::transport
