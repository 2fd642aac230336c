#include "cohort/base/crc32c.h"

#include <string>

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
