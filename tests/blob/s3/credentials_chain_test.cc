// The credential chain's static sources and their order: explicit, the
// environment, the shared credentials and config files.
#include "absl/strings/str_cat.h"
#include "blob/s3/credentials_provider.h"
#include "blob/s3/shared_config.h"
#include "cohort/testing/status_matchers.h"
#include "credentials_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class CredentialsChainTest : public CredentialsTestBase {};

TEST_F(CredentialsChainTest, ExplicitCredentialsComeFirst) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEYID0001";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  CredentialsChainOptions options = Options();
  options.explicit_credentials = Credentials{.access_key_id = "EXPLICITKEY1",
                                             .secret_access_key = "explicitsecret"};
  absl::StatusOr<Credentials> c = Get(*Chain(std::move(options)));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "EXPLICITKEY1");
  EXPECT_EQ(c->source, "explicit");
}

TEST_F(CredentialsChainTest, EnvironmentBeatsSharedFiles) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEYID0001";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_["AWS_SESSION_TOKEN"] = "envtoken";
  WriteFile("home/.aws/credentials",
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "ENVKEYID0001");
  EXPECT_EQ(c->secret_access_key, "envsecret");
  EXPECT_EQ(c->session_token, "envtoken");
  EXPECT_EQ(c->source, "environment");
  EXPECT_EQ(c->expiration, absl::InfiniteFuture());
}

TEST_F(CredentialsChainTest, HalfConfiguredEnvironmentStopsTheChain) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEYID0001";
  WriteFile("home/.aws/credentials",
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("AWS_SECRET_ACCESS_KEY is not")));
}

TEST_F(CredentialsChainTest, DefaultProfileFromHomeCredentialsFile) {
  WriteFile("home/.aws/credentials",
            "# comment\n[other]\naws_access_key_id = OTHER\naws_secret_access_key = o\n\n"
            "[default]\r\naws_access_key_id=FILEKEY\r\naws_secret_access_key =  filesecret  \r\n"
            "; another comment\naws_session_token = filetoken\n");
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "FILEKEY");
  EXPECT_EQ(c->session_token, "filetoken");
  EXPECT_EQ(c->source, "profile default");
}

TEST_F(CredentialsChainTest, ProfileFromConfigFileWithOverridesFromCredentialsFile) {
  env_["AWS_PROFILE"] = "dev";
  env_["AWS_CONFIG_FILE"] = WriteFile("elsewhere/config",
                                      "[profile dev]\nregion = eu-west-1\n"
                                      "aws_access_key_id = CONFIGKEY\n"
                                      "aws_secret_access_key = configsecret\n"
                                      "s3 =\n  addressing_style = path\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] =
      WriteFile("elsewhere/creds", "[dev]\naws_secret_access_key = credsecret\n");
  absl::StatusOr<Credentials> c = Get(*Chain(Options()));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "CONFIGKEY");
  EXPECT_EQ(c->secret_access_key, "credsecret");
  EXPECT_EQ(c->source, "profile dev");
}

TEST_F(CredentialsChainTest, OptionProfileOverridesAwsProfile) {
  env_["AWS_PROFILE"] = "dev";
  WriteFile("home/.aws/config",
            "[profile prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = p\n");
  CredentialsChainOptions options = Options();
  options.profile = "prod";
  absl::StatusOr<Credentials> c = Get(*Chain(std::move(options)));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "PRODKEY");
}

TEST_F(CredentialsChainTest, NamedProfileThatDoesNotExistIsAnError) {
  env_["AWS_PROFILE"] = "typo";
  WriteFile("home/.aws/credentials",
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n");
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("profile \"typo\""), HasSubstr("AWS_PROFILE"))));
}

TEST_F(CredentialsChainTest, ProfileWithOnlyAKeyIdIsAnError) {
  WriteFile("home/.aws/credentials", "[default]\naws_access_key_id = FILEKEY\n");
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("needs both aws_access_key_id and aws_secret_access_key")));
}

TEST_F(CredentialsChainTest, NothingConfiguredListsEverySourceTried) {
  EXPECT_THAT(Get(*Chain(Options())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("no AWS credentials found"), HasSubstr("explicit"),
                             HasSubstr("environment"), HasSubstr("shared files"),
                             HasSubstr("container endpoint"),
                             HasSubstr("AWS_EC2_METADATA_DISABLED"))));
}

TEST_F(CredentialsChainTest, LogsNameTheSourceButNeverTheSecrets) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIDLOGGINGTEST1";
  env_["AWS_SECRET_ACCESS_KEY"] = "SECRET-must-not-appear";
  env_["AWS_SESSION_TOKEN"] = "TOKEN-must-not-appear";
  ASSERT_THAT(Get(*Chain(Options())), IsOk());
  const std::string log = LogText();
  EXPECT_THAT(log, HasSubstr("environment"));
  EXPECT_THAT(log, Not(HasSubstr("SECRET-must-not-appear")));
  EXPECT_THAT(log, Not(HasSubstr("TOKEN-must-not-appear")));
  EXPECT_THAT(log, Not(HasSubstr("AKIDLOGGINGTEST1")));
}

TEST_F(CredentialsChainTest, RejectsBadOptions) {
  CredentialsChainOptions options = Options();
  options.refresh_window = absl::Seconds(-1);
  EXPECT_THAT(NewDefaultCredentialsChain(options, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refresh_window")));
  options = Options();
  options.endpoint_timeout = absl::ZeroDuration();
  EXPECT_THAT(NewDefaultCredentialsChain(options, ctx_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint_timeout")));
}

TEST(SharedConfigTest, ParsesSectionsKeysAndSkipsNoise) {
  IniSections s = ParseIni(
      "key_before_section = x\n[ profile   a ]\nKey = v1 \n  nested = skipped\n"
      "[broken\nk = lost\n[b]\n= novalue\nnoequals\nk2 = v=2\n");
  EXPECT_EQ(s["profile a"]["key"], "v1");
  EXPECT_EQ(s["profile a"].count("nested"), 0u);
  EXPECT_EQ(s["b"]["k2"], "v=2");
  EXPECT_EQ(s.count("broken"), 0u);
  EXPECT_EQ(s["b"].size(), 1u);
}

}  // namespace
}  // namespace cohort::blob::s3::testing
