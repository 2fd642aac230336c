#include "transport/frame.h"

#include <cstring>
#include <string>

#include "cohort/base/crc32c.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

std::string Encode(FrameType type, std::uint64_t id, std::string_view payload,
                   std::uint32_t flags = 0) {
  std::string out;
  EXPECT_THAT(AppendFrame(type, flags, id, payload, &out), IsOk());
  return out;
}

// Recomputes the header checksum after a test edits header fields, so that
// the check under test is the only one that can refuse the frame.
void Reseal(std::string& wire) {
  const std::uint32_t crc = crc32c::Mask(crc32c::Extend(0, wire.data(), 24));
  for (int i = 0; i < 4; ++i) wire[24 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

std::array<std::byte, kFrameHeaderSize> HeaderOf(const std::string& wire) {
  std::array<std::byte, kFrameHeaderSize> raw;
  std::memcpy(raw.data(), wire.data(), kFrameHeaderSize);
  return raw;
}

TEST(FrameTest, RoundTrip) {
  const std::string wire = Encode(FrameType::kRequest, 0x0102030405060708ULL, "hello", 7);
  ASSERT_EQ(wire.size(), kFrameHeaderSize + 5);
  std::size_t consumed = 0;
  auto frame = DecodeFrame(wire, &consumed);
  ASSERT_THAT(frame, IsOk());
  EXPECT_EQ(consumed, wire.size());
  EXPECT_EQ(frame->header.type, FrameType::kRequest);
  EXPECT_EQ(frame->header.flags, 7u);
  EXPECT_EQ(frame->header.correlation_id, 0x0102030405060708ULL);
  EXPECT_EQ(frame->payload, "hello");
}

TEST(FrameTest, LayoutIsLittleEndianAsDocumented) {
  const std::string wire = Encode(FrameType::kResponse, 0x11, "ab", 0x22);
  EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0xC0);
  EXPECT_EQ(static_cast<unsigned char>(wire[1]), 0x4F);
  EXPECT_EQ(wire[2], 1);
  EXPECT_EQ(wire[3], 2);
  EXPECT_EQ(wire[4], 0x22);
  EXPECT_EQ(wire[8], 0x11);
  EXPECT_EQ(wire[16], 2);
  EXPECT_EQ(wire.substr(kFrameHeaderSize), "ab");
}

TEST(FrameTest, EmptyPayloadAndBackToBackFrames) {
  std::string wire = Encode(FrameType::kPing, 1, "");
  wire += Encode(FrameType::kPong, 2, "x");
  std::size_t consumed = 0;
  auto first = DecodeFrame(wire, &consumed);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->header.type, FrameType::kPing);
  EXPECT_EQ(first->payload, "");
  auto second = DecodeFrame(std::string_view(wire).substr(consumed), &consumed);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->header.type, FrameType::kPong);
  EXPECT_EQ(second->payload, "x");
}

TEST(FrameTest, ForeignBytesRefusedBeforeAWholeHeader) {
  std::size_t consumed = 0;
  EXPECT_THAT(DecodeFrame("G", &consumed), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeFrame("\xC0x", &consumed), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeFrame("\xC0", &consumed), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(FrameTest, EveryProperPrefixIsIncomplete) {
  const std::string wire = Encode(FrameType::kRequest, 9, "payload bytes");
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    std::size_t consumed = 123;
    EXPECT_THAT(DecodeFrame(std::string_view(wire).substr(0, cut), &consumed),
                StatusIs(absl::StatusCode::kUnavailable))
        << cut;
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(FrameTest, EverySingleByteCorruptionIsRejected) {
  const std::string wire = Encode(FrameType::kRequest, 42, "some payload to protect");
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = wire;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      std::size_t consumed = 0;
      auto frame = DecodeFrame(bad, &consumed);
      // A flipped length may also make the frame look incomplete; what must
      // never happen is a frame accepted with altered contents.
      EXPECT_FALSE(frame.ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(FrameTest, OversizedPayloadRefusedBeforeAllocation) {
  std::string wire = Encode(FrameType::kRequest, 1, "0123456789");
  std::size_t consumed = 0;
  EXPECT_THAT(DecodeFrame(wire, &consumed, /*max_payload=*/9),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("limit of 9")));
  // A well-formed header claiming 1 GiB is refused from the header alone.
  std::string huge = Encode(FrameType::kRequest, 1, "");
  huge[19] = 0x40;
  Reseal(huge);
  EXPECT_THAT(DecodeFrameHeader(HeaderOf(huge)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("1073741824")));
}

TEST(FrameTest, EncoderRefusesOversizedPayload) {
  std::string out;
  EXPECT_THAT(AppendFrame(FrameType::kRequest, 0, 1, std::string(11, 'x'), &out, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_frame_size")));
  EXPECT_TRUE(out.empty());
}

TEST(FrameTest, ForeignProtocolFutureVersionsAndUnknownTypes) {
  std::size_t consumed = 0;
  EXPECT_THAT(DecodeFrame("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &consumed),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("magic")));
  std::string future = Encode(FrameType::kRequest, 1, "");
  future[2] = 2;
  Reseal(future);
  EXPECT_THAT(DecodeFrame(future, &consumed),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("version 2")));
  std::string unknown = Encode(FrameType::kRequest, 1, "");
  unknown[3] = 99;
  Reseal(unknown);
  EXPECT_THAT(DecodeFrame(unknown, &consumed),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("type 99")));
}

TEST(FrameTest, RandomGarbageNeverDecodes) {
  Random random(7);
  for (int i = 0; i < 20'000; ++i) {
    std::string garbage(random.Uniform(64), '\0');
    for (char& c : garbage) c = static_cast<char>(random.Next64());
    if (garbage.size() >= 2) {
      garbage[0] = static_cast<char>(kFrameMagic0);  // get past the magic check
      garbage[1] = static_cast<char>(kFrameMagic1);
    }
    std::size_t consumed = 0;
    auto frame = DecodeFrame(garbage, &consumed);
    EXPECT_FALSE(frame.ok());
  }
}

}  // namespace
}  // namespace cohort::transport
