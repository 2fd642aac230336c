#include "cohort/base/context.h"

#include <asio/io_context.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "cohort/base/simulated_clock.h"
#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ContextTest, ValidateNamesMissingClock) {
  Context ctx;
  EXPECT_THAT(ctx.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("clock")));
  SimulatedClock clock;
  ctx.clock = &clock;
  EXPECT_THAT(ctx.Validate(), IsOk());
}

TEST(ContextTest, RandomStreamsDependOnSeedAndPurpose) {
  Context a{.seed = 11};
  Context b{.seed = 11};
  EXPECT_EQ(a.NewRandom("p").Next64(), b.NewRandom("p").Next64());
  EXPECT_NE(a.NewRandom("p").Next64(), a.NewRandom("q").Next64());
}

TEST(ContextTest, NullLoggerIsSilentAndUserLoggerReceives) {
  Context ctx;
  auto silent = ctx.LoggerOrNull();
  ASSERT_NE(silent, nullptr);
  EXPECT_FALSE(silent->should_log(spdlog::level::critical));

  std::ostringstream out;
  ctx.logger = std::make_shared<spdlog::logger>(
      "t", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  ctx.LoggerOrNull()->info("hello {}", 1);
  EXPECT_THAT(out.str(), HasSubstr("hello 1"));
}

TEST(ContextTest, RealContextOwnsAClock) {
  asio::io_context io;
  RealContext real(io.get_executor(), nullptr, 3);
  EXPECT_THAT(real.context().Validate(), IsOk());
  EXPECT_EQ(real.context().seed, 3u);
  const absl::Time t1 = real.context().clock->Now();
  const absl::Time t2 = real.context().clock->Now();
  EXPECT_LE(t1, t2);
}

TEST(LoggingTest, StderrLoggerLevels) {
  EXPECT_TRUE(NewStderrLogger("a", "debug")->should_log(spdlog::level::debug));
  EXPECT_FALSE(NewStderrLogger("b", "warn")->should_log(spdlog::level::info));
  EXPECT_TRUE(NewStderrLogger("c", "bogus")->should_log(spdlog::level::info));
  EXPECT_FALSE(NewStderrLogger("d", "off")->should_log(spdlog::level::critical));
}

}  // namespace
}  // namespace cohort
