// Known-answer tests for the hashes that define cohort::ring placement. The
// XXH64 vectors come from the reference xxHash library (libxxhash 0.8.1); the
// MD5 vectors from RFC 1321 appendix A.5 plus padding-boundary lengths
// checked with Python's hashlib.
#include "cohort/ring/hash.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "ring/md5.h"

namespace cohort::ring {
namespace {

std::string Bytes(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

std::string Repeat(std::string_view part, int times) {
  std::string s;
  for (int i = 0; i < times; ++i) s.append(part);
  return s;
}

TEST(Hash64Test, MatchesReferenceXxh64SeedZero) {
  EXPECT_EQ(Hash64(""), 0xef46db3751d8e999ULL);
  EXPECT_EQ(Hash64("a"), 0xd24ec4f1a98c6e5bULL);
  EXPECT_EQ(Hash64("abc"), 0x44bc2cf5ad770999ULL);
  EXPECT_EQ(Hash64("message digest"), 0x066ed728fceeb3beULL);
  EXPECT_EQ(Hash64("abcdefghijklmnopqrstuvwxyz"), 0xcfe1f278fa89835cULL);
  EXPECT_EQ(Hash64(Repeat("0123456789", 10)), 0xf80e7b96315afffaULL);
  // Lengths around the 32-byte stripe boundary exercise both code paths.
  EXPECT_EQ(Hash64(Bytes(31)), 0xc346d2b59b4d8ee1ULL);
  EXPECT_EQ(Hash64(Bytes(32)), 0xcbf59c5116ff32b4ULL);
  EXPECT_EQ(Hash64(Bytes(33)), 0x0c535d1acafb8eadULL);
  EXPECT_EQ(Hash64(Bytes(256)), 0x1facbe8406cd904bULL);
}

TEST(Hash64Test, MatchesReferenceXxh64WithSeeds) {
  EXPECT_EQ(Hash64("", 1), 0xd5afba1336a3be4bULL);
  EXPECT_EQ(Hash64("abc", 1), 0xbea9ca8199328908ULL);
  EXPECT_EQ(Hash64(Bytes(33), 1), 0xa371825f4210fe99ULL);
  EXPECT_EQ(Hash64(Bytes(256), 1), 0xbeec1eb06d6a56f7ULL);
  constexpr std::uint64_t kBigSeed = 0x9E3779B97F4A7C15ULL;
  EXPECT_EQ(Hash64("", kBigSeed), 0xc4349fc93c010000ULL);
  EXPECT_EQ(Hash64("a", kBigSeed), 0x9a7c6d2ea45568c9ULL);
  EXPECT_EQ(Hash64(Bytes(32), kBigSeed), 0xa1c89217e9d50750ULL);
  EXPECT_EQ(Hash64(Repeat("0123456789", 10), kBigSeed), 0x14d1d80a91b9ea55ULL);
}

TEST(Hash64Test, ReadsOnlyTheGivenBytes) {
  const std::string buffer = "abcXYZ";
  EXPECT_EQ(Hash64(std::string_view(buffer).substr(0, 3)), Hash64("abc"));
}

TEST(Mix64Test, MatchesSplitMix64Finalizer) {
  static_assert(Mix64(0) == 0);
  EXPECT_EQ(Mix64(1), 0x5692161d100b05e5ULL);
  EXPECT_EQ(Mix64(0x0123456789abcdefULL), 0xb2c058e4ebb5112cULL);
}

std::string Hex(const internal::Md5Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : d) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

TEST(Md5Test, Rfc1321TestSuite) {
  EXPECT_EQ(Hex(internal::Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(internal::Md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex(internal::Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(internal::Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex(internal::Md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Hex(internal::Md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Hex(internal::Md5(Repeat("1234567890", 8))), "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5Test, PaddingBoundaries) {
  // 55 bytes fit one padded block, 56 need a second; 64 and 119/120 likewise
  // after a full block.
  EXPECT_EQ(Hex(internal::Md5(std::string(55, 'x'))), "04364420e25c512fd958a70738aa8f72");
  EXPECT_EQ(Hex(internal::Md5(std::string(56, 'x'))), "668a72d5ba17f08e62dabcafad6db14b");
  EXPECT_EQ(Hex(internal::Md5(std::string(64, 'x'))), "c1bb4f81d892b2d57947682aeb252456");
  EXPECT_EQ(Hex(internal::Md5(std::string(119, 'x'))), "ab347a5f68c8a443cfcddc633f12c24f");
  EXPECT_EQ(Hex(internal::Md5(std::string(120, 'x'))), "fb98667f98096de92620b64f46e1c5b5");
}

TEST(Md5Test, WordsAreLittleEndian) {
  // MD5("foo") = acbd18db 4cc2f85c edef654f ccc4a4d8.
  const internal::Md5Digest d = internal::Md5("foo");
  EXPECT_EQ(internal::Md5Word(d, 0), 0xdb18bdacU);
  EXPECT_EQ(internal::Md5Word(d, 3), 0xd8a4c4ccU);
}

}  // namespace
}  // namespace cohort::ring
