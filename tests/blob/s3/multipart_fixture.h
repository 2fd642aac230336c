// The fixture of the multipart and transfer tests: s3rver started once per
// suite, an io_context driven from the test thread with a simulated clock
// (starting at the real time, which s3rver checks signatures against), a
// scratch directory, and deterministic pseudo-random object contents.
#ifndef COHORT_TESTS_BLOB_S3_MULTIPART_FIXTURE_H_
#define COHORT_TESTS_BLOB_S3_MULTIPART_FIXTURE_H_

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "blob/s3/s3_storage.h"
#include "cohort/base/random.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/blob/blob_storage.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "s3rver.h"
#include "test_util.h"

namespace cohort::blob::s3::testing {

inline constexpr std::uint64_t kMiB = 1u << 20;

// `size` pseudo-random bytes from `seed`.
inline std::string RandomBytes(std::uint64_t size, std::uint64_t seed) {
  Random random(seed);
  std::string out(size, '\0');
  for (std::uint64_t i = 0; i < size; i += 8) {
    const std::uint64_t v = random.Next64();
    for (std::uint64_t j = 0; j < 8 && i + j < size; ++j)
      out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

class MultipartFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<S3rver>> server = S3rver::Start({"bucket"});
    if (server.ok()) {
      server_ = std::move(server).value().release();
    } else {
      start_error_ = new std::string(server.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  // A missing s3rver fails every test with the fix, rather than skipping.
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << *start_error_;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("cohort_mp_", ::getpid(), "_", prefix_.substr(0, prefix_.size() - 1));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  MultipartFixture() {
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 5;
    prefix_ = absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), "/");
  }

  static std::string Endpoint() { return server_->endpoint(); }

  // S3 storage on `endpoint` (s3rver by default), 5 MiB parts, with
  // `tweak` applied to the options.
  std::unique_ptr<BlobStorage> Open(const std::string& endpoint = "",
                                    const std::function<void(S3Options&)>& tweak = {}) {
    S3Options options;
    options.bucket = "bucket";
    options.endpoint = endpoint.empty() ? server_->endpoint() : endpoint;
    options.path_style = true;
    options.part_size = 5 * kMiB;
    options.multipart_threshold = 5 * kMiB;
    options.credentials = NewStaticCredentialsProvider(Credentials{
        .access_key_id = S3rver::kAccessKeyId, .secret_access_key = S3rver::kSecretAccessKey});
    if (tweak) tweak(options);
    auto storage = OpenS3(options, ctx_);
    EXPECT_THAT(storage, cohort::testing::IsOk());
    return std::move(storage).value();
  }

  // Runs `op` to completion; retry backoffs jump the simulated clock.
  template <typename T>
  T Run(Awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, T r) {
      if (e) std::rethrow_exception(e);
      result = std::move(r);
    });
    RunIoUntilAdvancing(io_, clock_, [&] { return result.has_value(); });
    return std::move(result).value();
  }

  std::string WriteFile(const std::string& name, const std::string& data) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string K(const std::string& name) const { return prefix_ + name; }

  static inline S3rver* server_ = nullptr;
  static inline std::string* start_error_ = nullptr;
  asio::io_context io_;
  SimulatedClock clock_{absl::Now()};
  Context ctx_;
  std::string prefix_;
  std::filesystem::path dir_;
};

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_MULTIPART_FIXTURE_H_
