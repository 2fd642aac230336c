// Offload: file:// runs blocking calls on its pool and resumes the caller on
// the caller's executor, which stays free to run other work meanwhile.
#include "blob/offload.h"

#include <latch>
#include <thread>

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include "conformance.h"
#include "gtest/gtest.h"

namespace cohort::blob::internal {
namespace {

TEST(OffloadTest, RunsOnThePoolAndResumesOnTheCallersExecutor) {
  testing::Driver driver;
  asio::thread_pool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  std::latch released(1);
  std::thread::id job_thread, resumed_thread;
  auto body = [&]() -> Awaitable<absl::Status> {
    // The job blocks until a handler on the caller's executor releases it:
    // this completes only if the caller's thread is not blocked by the job.
    auto job = [&] {
      job_thread = std::this_thread::get_id();
      released.wait();
      return 42;
    };
    asio::post(driver.io(), [&] { released.count_down(); });
    auto op = Offload(pool, job);
    const int value = co_await std::move(op);
    resumed_thread = std::this_thread::get_id();
    co_return value == 42 ? absl::OkStatus() : absl::InternalError("wrong value");
  };
  EXPECT_TRUE(driver.Run(body()).ok());
  EXPECT_NE(job_thread, caller);
  EXPECT_EQ(resumed_thread, caller);
  pool.join();
}

}  // namespace
}  // namespace cohort::blob::internal
