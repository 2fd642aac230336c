#include "transport/tcp/address.h"

#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::transport {
namespace {

using ::cohort::testing::StatusIs;

TEST(HostPortTest, ParsesNamesIpv4AndBracketedIpv6) {
  auto a = ParseHostPort("example.com:80");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 80);
  auto b = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 0);
  auto c = ParseHostPort("[::1]:65535");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 65535);
}

TEST(HostPortTest, RefusesMalformedAddresses) {
  for (const char* bad : {"", "host", ":80", "host:", "host:65536", "host:-1", "host:+1",
                          "host:8x", "::1:80", "[::1", "[::1]80", "[::1]:"}) {
    EXPECT_THAT(ParseHostPort(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(HostPortTest, FormatsIpv6InBrackets) {
  EXPECT_EQ(FormatHostPort("::1", 7), "[::1]:7");
  EXPECT_EQ(FormatHostPort("10.0.0.1", 7), "10.0.0.1:7");
}

}  // namespace
}  // namespace cohort::transport
