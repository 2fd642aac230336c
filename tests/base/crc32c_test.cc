#include "cohort/base/crc32c.h"

#include <string>
#include <vector>

#include "base/internal/crc32c_portable.h"
#include "cohort/base/random.h"
#include "gtest/gtest.h"

namespace cohort::crc32c {
namespace {

// Known answers from RFC 3720, appendix B.4, and the common "123456789" check.
TEST(Crc32cTest, StandardVectors) {
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Value(ascending), 0x46dd794eu);
  EXPECT_EQ(Value(descending), 0x113fdb5cu);
  EXPECT_EQ(Value(""), 0u);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  const std::string data = "hello distributed world, with some more bytes in it";
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    const std::uint32_t first = Value(std::string_view(data).substr(0, cut));
    EXPECT_EQ(Extend(first, data.data() + cut, data.size() - cut), Value(data)) << cut;
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomInputs) {
  Random random(20261126);
  for (int round = 0; round < 500; ++round) {
    std::string data(random.Uniform(300), '\0');
    for (char& c : data) c = static_cast<char>(random.Next64());
    const std::uint32_t seed = static_cast<std::uint32_t>(random.Next64());
    // Unaligned starts exercise the head/tail handling of both paths.
    const std::size_t skip = data.empty() ? 0 : random.Uniform(data.size());
    EXPECT_EQ(Extend(seed, data.data() + skip, data.size() - skip),
              internal::ExtendPortable(seed, data.data() + skip, data.size() - skip));
  }
}

std::string RandomBytes(std::size_t size, std::uint64_t seed) {
  Random random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random.Next64());
  return out;
}

TEST(Crc32cTest, LargeBuffersAgreeWithThePortableVersion) {
  // Around the block sizes of the interleaved streams (3 x 256 and
  // 3 x 8192 bytes), and part-sized.
  const std::vector<std::size_t> sizes = {0,     1,     767,   768,   769,   1000,
                                          24575, 24576, 24577, 50000, 74000, (1 << 20) + 13};
  Random random(20261127);
  for (std::size_t size : sizes) {
    const std::string data = RandomBytes(size + 8, size);
    for (int round = 0; round < 4; ++round) {
      const std::size_t skip = random.Uniform(8);  // unaligned starts
      const auto seed = static_cast<std::uint32_t>(random.Next64());
      EXPECT_EQ(Extend(seed, data.data() + skip, size),
                internal::ExtendPortable(seed, data.data() + skip, size))
          << size << " bytes from " << skip;
    }
  }
}

TEST(Crc32cTest, LargeInputsExtendedInPiecesEqualTheWhole) {
  const std::string data = RandomBytes(200000, 7);
  const std::uint32_t whole = Value(data);
  for (std::size_t cut : {1u, 767u, 8192u, 24577u, 100000u, 199999u}) {
    const std::uint32_t first = Extend(0, data.data(), cut);
    EXPECT_EQ(Extend(first, data.data() + cut, data.size() - cut), whole) << cut;
  }
}

TEST(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  const std::uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

TEST(Crc32cTest, DetectsSingleBitFlips) {
  std::string data(64, 'x');
  const std::uint32_t good = Value(data);
  for (std::size_t i = 0; i < data.size() * 8; ++i) {
    std::string flipped = data;
    flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
    EXPECT_NE(Value(flipped), good) << "bit " << i;
  }
}

}  // namespace
}  // namespace cohort::crc32c
