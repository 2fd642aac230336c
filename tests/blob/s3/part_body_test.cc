// A multipart upload's part bodies: the digests computed while a part is
// filled (CRC32C, SHA-256, MD5) equal those of the whole part computed
// independently, and the buffer pool reuses buffers and outlives its owner
// while a part still holds one.
#include "blob/s3/part_body.h"

#include <cstring>
#include <string>
#include <vector>

#include "blob/digest.h"
#include "blob/s3/crypto.h"
#include "cohort/base/crc32c.h"
#include "cohort/base/random.h"
#include "cohort/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3 {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;

std::string RandomBytes(std::size_t size, std::uint64_t seed) {
  Random random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random.Next64());
  return out;
}

// A part filled from `data` in the reader's blocks.
absl::StatusOr<PartBody> FillFrom(PartBufferPool& pool, const std::string& data,
                                  PartDigestKinds kinds) {
  auto copy = [&](char* dest, std::uint64_t at, std::size_t n) {
    EXPECT_LE(at + n, data.size());
    std::memcpy(dest, data.data() + at, n);
    return absl::OkStatus();
  };
  return FillPart(pool, data.size(), kinds, copy);
}

TEST(PartBodyTest, FillPartComputesTheDigestsOfTheWholePart) {
  auto pool = std::make_shared<PartBufferPool>(2);
  for (std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{(600 << 10) + 3}}) {
    SCOPED_TRACE(size);
    const std::string data = RandomBytes(size, size + 1);
    absl::StatusOr<PartBody> body =
        FillFrom(*pool, data, PartDigestKinds{.crc32c = true, .sha256 = true, .md5 = true});
    ASSERT_THAT(body, IsOk());
    EXPECT_EQ(body->bytes, data);
    EXPECT_EQ(body->crc32c, crc32c::Value(data));
    EXPECT_EQ(body->sha256_hex, *Sha256Hex(data));
    EXPECT_EQ(body->md5_hex, internal::Md5Hex(data));
  }
}

TEST(PartBodyTest, FillPartComputesOnlyTheDigestsAskedFor) {
  auto pool = std::make_shared<PartBufferPool>(1);
  const std::string data = RandomBytes(1000, 3);
  absl::StatusOr<PartBody> body = FillFrom(*pool, data, PartDigestKinds{.crc32c = true});
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(body->crc32c, crc32c::Value(data));
  EXPECT_TRUE(body->sha256_hex.empty());
  EXPECT_TRUE(body->md5_hex.empty());
}

TEST(PartBodyTest, FillPartReturnsTheReadersError) {
  auto pool = std::make_shared<PartBufferPool>(1);
  auto fail_late = [](char*, std::uint64_t at, std::size_t) {
    return at > 0 ? absl::DataLossError("the file shrank") : absl::OkStatus();
  };
  EXPECT_THAT(FillPart(*pool, 1 << 20, PartDigestKinds{.crc32c = true}, fail_late),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PartBodyTest, CompleteDigestsKeepsThoseComputedAndAddsTheRest) {
  const std::string data = RandomBytes(300000, 9);
  PartBody body = PartBodyOf(data);
  EXPECT_EQ(body.bytes, data);
  body.crc32c = 42;  // computed earlier: not computed again
  ASSERT_THAT(CompleteDigests(body, PartDigestKinds{.crc32c = true, .sha256 = true}), IsOk());
  EXPECT_EQ(body.crc32c, 42u);
  EXPECT_EQ(body.sha256_hex, *Sha256Hex(data));
  EXPECT_TRUE(body.md5_hex.empty());
}

TEST(PartBodyTest, PoolReusesReturnedBuffers) {
  auto pool = std::make_shared<PartBufferPool>(2);
  for (int part = 0; part < 10; ++part) {
    std::shared_ptr<char> a = pool->Take(8 << 20);
    std::shared_ptr<char> b = pool->Take(8 << 20);
    EXPECT_NE(a.get(), b.get());
  }
  EXPECT_EQ(pool->allocated(), 2);
  // A smaller last part fits in a buffer of a full one.
  std::shared_ptr<char> last = pool->Take(1 << 20);
  EXPECT_EQ(pool->allocated(), 2);
}

TEST(PartBodyTest, BuffersArePageAlignedWithRoomForARoundedUpRead) {
  auto pool = std::make_shared<PartBufferPool>(1);
  std::shared_ptr<char> odd = pool->Take((5 << 20) + 3);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(odd.get()) % 4096, 0u);
  // Writing up to the next page boundary stays inside the buffer (ASan).
  std::memset(odd.get(), 1, (5 << 20) + 4096);
}

TEST(PartBodyTest, WholePartReadsAreDigestedBlockByBlock) {
  auto pool = std::make_shared<PartBufferPool>(1);
  const std::string data = RandomBytes((3 << 20) + 7, 12);
  int reads = 0;
  auto copy = [&](char* dest, std::uint64_t at, std::size_t n) {
    ++reads;
    std::memcpy(dest, data.data() + at, n);
    return absl::OkStatus();
  };
  absl::StatusOr<PartBody> body =
      FillPart(*pool, data.size(), PartDigestKinds{.crc32c = true, .sha256 = true}, copy,
               data.size());
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(body->bytes, data);
  EXPECT_EQ(body->crc32c, crc32c::Value(data));
  EXPECT_EQ(body->sha256_hex, *Sha256Hex(data));
}

TEST(PartBodyTest, PoolKeepsAtMostMaxIdleBuffers) {
  auto pool = std::make_shared<PartBufferPool>(1);
  {
    std::shared_ptr<char> a = pool->Take(1 << 20);
    std::shared_ptr<char> b = pool->Take(1 << 20);
  }
  std::shared_ptr<char> c = pool->Take(1 << 20);
  std::shared_ptr<char> d = pool->Take(1 << 20);  // the second was freed
  EXPECT_EQ(pool->allocated(), 3);
}

TEST(PartBodyTest, APartOutlivesItsPool) {
  auto pool = std::make_shared<PartBufferPool>(1);
  const std::string data = RandomBytes(4096, 11);
  absl::StatusOr<PartBody> body = FillFrom(*pool, data, PartDigestKinds{});
  ASSERT_THAT(body, IsOk());
  pool.reset();  // the upload gave up; its part is still being sent
  EXPECT_EQ(body->bytes, data);
  *body = PartBody{};  // returns the buffer to the pool it kept alive
}

}  // namespace
}  // namespace cohort::blob::s3
