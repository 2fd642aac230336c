// The BlobStorage conformance suite: one set of tests that every backend
// passes unchanged, so that code tested on mem:// behaves the same on
// file:// and S3.
//
// To run it against a backend, link the `blob_conformance` object library and
// instantiate the suite with a factory that opens a fresh, empty store:
//
//   INSTANTIATE_TEST_SUITE_P(
//       S3, BlobConformanceTest,
//       ::testing::Values(cohort::blob::testing::BlobBackend{"s3", &OpenMyS3}),
//       cohort::blob::testing::BackendName);
//
// (tests/blob/s3/conformance_s3rver_test.cc does this for s3rver.) A backend
// whose API gives less than the local ones says so in BackendTraits, and the
// suite then checks what that API can promise instead.
//
// The factory receives the test's Context (simulated clock, fixed seed) and a
// fresh scratch directory that the fixture deletes afterwards. Calls run on
// the fixture's io_context; a backend may complete them from other threads
// (the fixture waits for the completion to be posted back).
#ifndef COHORT_TESTS_BLOB_CONFORMANCE_H_
#define COHORT_TESTS_BLOB_CONFORMANCE_H_

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "absl/status/statusor.h"
#include "cohort/base/context.h"
#include "cohort/base/simulated_clock.h"
#include "cohort/blob/blob_storage.h"
#include "gtest/gtest.h"

namespace cohort::blob::testing {

// Where a backend's API gives less than the local backends, declared per
// backend so that the suite asserts the strongest contract each one can keep
// (docs/blob.md lists what each difference means and how it is tested).
struct BackendTraits {
  // List entries carry content type and user metadata. S3's ListObjectsV2
  // returns only key, size, ETag and time; on such a backend the suite checks
  // those on List and the content type and metadata through Stat.
  bool list_has_headers = true;
  // Stored objects carry the modification time of the Context's clock. On
  // S3 the server stamps them with its own clock: the suite then checks that
  // Stat, List and readers report the same stamp for one version and that a
  // newer version never has an older stamp.
  bool client_clock_times = true;
};

struct BlobBackend {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<BlobStorage>>(const Context& ctx,
                                                             const std::string& scratch_dir)>
      open;
  BackendTraits traits{};
  // Where the simulated clock starts (servers that check request signatures
  // refuse a time far from their own). Default: SimulatedClock's start.
  std::function<absl::Time()> start_time{};
};

std::string BackendName(const ::testing::TestParamInfo<BlobBackend>& info);
// gtest prints the backend by name, not as bytes.
void PrintTo(const BlobBackend& backend, std::ostream* os);

// Creates a fresh directory under $TMPDIR (or /tmp); RemoveTree deletes it.
std::string MakeScratchDirectory();
void RemoveTree(const std::string& path);

// `size` bytes that depend on `seed`, with every byte value occurring.
std::string PatternBytes(std::size_t size, std::uint64_t seed);

// Runs awaitables to completion on a private io_context. Blocks only while a
// backend works on another thread; never sleeps and never advances the
// simulated clock (no backend operation waits on it).
class Driver {
 public:
  template <typename T>
  T Run(Awaitable<T> op) {
    io_.restart();
    std::optional<T> result;
    std::exception_ptr failure;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, T value) {
      failure = e;
      if (!e) result.emplace(std::move(value));
    });
    while (!result.has_value() && !failure) {
      if (io_.run_one() == 0) break;
    }
    if (failure) std::rethrow_exception(failure);
    if (!result.has_value()) {
      ADD_FAILURE() << "the operation never completed";
      return T(absl::InternalError("never completed"));
    }
    return std::move(*result);
  }

  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
};

class BlobConformanceTest : public ::testing::TestWithParam<BlobBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  BlobStorage& storage() { return *storage_; }
  const BackendTraits& traits() const { return GetParam().traits; }

  // The modification time the backend stores for the version that `written`
  // (a Put, Copy or Commit result) describes: that result's own time on
  // client-clock backends, the server's stamp (through Stat) otherwise.
  absl::Time StoredTime(const BlobAttributes& written);

  // Shorthands that run one call to completion.
  absl::StatusOr<BlobAttributes> Put(std::string_view key, std::string_view data,
                                     const PutOptions& options = {});
  absl::StatusOr<std::string> Get(std::string_view key, const GetOptions& options = {});
  absl::StatusOr<BlobAttributes> Stat(std::string_view key);
  absl::Status Delete(std::string_view key);
  absl::StatusOr<ListPage> List(const ListOptions& options);
  absl::StatusOr<BlobAttributes> Copy(std::string_view from, std::string_view to,
                                      const PutOptions& options = {});
  // Follows page tokens to the end; returns entries' keys and prefixes, in
  // order, as one list (prefixes marked with a trailing "*").
  absl::StatusOr<std::vector<std::string>> ListAll(ListOptions options);
  // Reads everything from `reader` with reads of `chunk` bytes.
  absl::StatusOr<std::string> ReadAll(BlobReader& reader, std::size_t chunk);

  Driver driver_;
  SimulatedClock clock_;
  Context ctx_;
  std::string scratch_;
  std::unique_ptr<BlobStorage> storage_;
};

}  // namespace cohort::blob::testing

#endif  // COHORT_TESTS_BLOB_CONFORMANCE_H_
