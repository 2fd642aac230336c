// Shared set-up for the credential chain tests: a fake environment, a
// simulated clock, a logger whose output the test can read, temp files.
#ifndef COHORT_TESTS_BLOB_S3_CREDENTIALS_TEST_SUPPORT_H_
#define COHORT_TESTS_BLOB_S3_CREDENTIALS_TEST_SUPPORT_H_

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "blob/s3/credentials_provider.h"
#include "cohort/base/context.h"
#include "cohort/base/simulated_clock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace cohort::blob::s3::testing {

class CredentialsTestBase : public ::testing::Test {
 protected:
  CredentialsTestBase() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    logger_ = std::make_shared<spdlog::logger>("s3-credentials-test", sink);
    logger_->set_level(spdlog::level::trace);
    ctx_.executor = io_.get_executor();
    ctx_.clock = &clock_;
    ctx_.seed = 7;
    ctx_.logger = logger_;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("s3cred-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // Nothing from the machine leaks in: no HOME files, no IMDS probing.
    env_["HOME"] = (dir_ / "home").string();
    env_["AWS_EC2_METADATA_DISABLED"] = "true";
  }
  ~CredentialsTestBase() override { std::filesystem::remove_all(dir_); }

  CredentialsChainOptions Options() {
    CredentialsChainOptions options;
    options.environment = [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return options;
  }

  std::unique_ptr<CredentialsProvider> Chain(CredentialsChainOptions options) {
    auto chain = NewDefaultCredentialsChain(std::move(options), ctx_);
    EXPECT_TRUE(chain.ok()) << chain.status();
    return std::move(chain).value();
  }

  absl::StatusOr<Credentials> Get(CredentialsProvider& provider) {
    return AwaitOn(io_, provider.GetCredentials());
  }

  std::string WriteFile(const std::string& relative, const std::string& contents) {
    const std::filesystem::path path = dir_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << contents;
    return path.string();
  }

  std::string LogText() {
    logger_->flush();
    return log_.str();
  }

  asio::io_context io_;
  SimulatedClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> logger_;
  Context ctx_;
  std::map<std::string, std::string> env_;
  std::filesystem::path dir_;
};

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_CREDENTIALS_TEST_SUPPORT_H_
