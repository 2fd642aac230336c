// Replays every case of the AWS SigV4 signing test suite (aws-c-auth,
// testdata/aws-sigv4, Apache-2.0) through the signer and compares the
// canonical request, string to sign, signature and the whole signed request,
// for header signing and for query (presigned URL) signing, byte for byte.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "blob/s3/crypto.h"
#include "blob/s3/sigv4.h"
#include "blob/s3/uri_encode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3 {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(COHORT_S3_TESTDATA) / "aws-sigv4";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The few fields of context.json the suite uses; a flat object of strings,
// booleans and numbers, with "credentials" nested one level.
std::string JsonField(const std::string& json, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  std::size_t at = json.find(quoted);
  if (at == std::string::npos) return "";
  at = json.find(':', at + quoted.size());
  at = json.find_first_not_of(" \t\r\n", at + 1);
  if (json[at] == '"') {
    return json.substr(at + 1, json.find('"', at + 1) - at - 1);
  }
  const std::size_t end = json.find_first_of(",}\r\n", at);
  return json.substr(at, end - at);
}

struct ParsedRequest {
  SignableRequest request;
  std::string raw_query;  // as written, for rendering the signed request
  std::string body;
};

ParsedRequest ParseRequest(const std::string& text) {
  ParsedRequest out;
  std::size_t line_end = text.find('\n');
  const std::string request_line = text.substr(0, line_end);
  std::vector<std::string> parts = absl::StrSplit(request_line, ' ');
  // A path may contain a space ("/example space/"): the method is the first
  // word and the protocol the last.
  out.request.method = parts.front();
  std::string target = request_line.substr(
      parts.front().size() + 1,
      request_line.size() - parts.front().size() - parts.back().size() - 2);
  const std::size_t q = target.find('?');
  out.request.path = target.substr(0, q);
  if (q != std::string::npos) {
    out.raw_query = target.substr(q + 1);
    for (absl::string_view pair : absl::StrSplit(out.raw_query, '&')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      out.request.query.emplace_back(*UriDecode(kv.first), *UriDecode(kv.second));
    }
  }
  std::size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    line_end = text.find('\n', pos);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string line = text.substr(pos, line_end - pos);
    pos = line_end + 1;
    if (line.empty()) {
      out.body = pos < text.size() ? text.substr(pos) : "";
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
      out.request.headers.back().value += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    out.request.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  return out;
}

std::string Render(const SignableRequest& request, const std::string& query,
                   const std::string& body) {
  std::string out = request.method + " " + request.path;
  if (!query.empty()) out += "?" + query;
  out += " HTTP/1.1\n";
  for (const HttpHeader& h : request.headers) out += h.name + ":" + h.value + "\n";
  return out + "\n" + body;
}

std::vector<std::string> ListCases() {
  std::vector<std::string> cases;
  for (const fs::directory_entry& entry : fs::directory_iterator(kSuiteDir)) {
    if (entry.is_directory()) cases.push_back(entry.path().filename().string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

struct Case {
  ParsedRequest parsed;
  Credentials credentials;
  SigningParams params;
  absl::Duration expires_in;
};

Case LoadCase(const fs::path& dir) {
  const std::string context = ReadFile(dir / "context.json");
  Case c;
  c.parsed = ParseRequest(ReadFile(dir / "request.txt"));
  c.credentials.access_key_id = JsonField(context, "access_key_id");
  c.credentials.secret_access_key = JsonField(context, "secret_access_key");
  c.credentials.session_token = JsonField(context, "token");
  c.params.region = JsonField(context, "region");
  c.params.service = JsonField(context, "service");
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, JsonField(context, "timestamp"),
                              &c.params.time, &error))
      << error;
  c.params.normalize_path = JsonField(context, "normalize") == "true";
  c.params.add_content_sha256_header = JsonField(context, "sign_body") == "true";
  c.params.sign_session_token = JsonField(context, "omit_session_token") != "true";
  c.params.payload_hash = *Sha256Hex(c.parsed.body);
  int seconds = 0;
  EXPECT_TRUE(absl::SimpleAtoi(JsonField(context, "expiration_in_seconds"), &seconds));
  c.expires_in = absl::Seconds(seconds);
  return c;
}

TEST(SigV4SuiteTest, HasEveryCaseWithEveryFile) {
  const std::vector<std::string> cases = ListCases();
  // The published suite has 38 cases; fewer means the copy lost some.
  EXPECT_EQ(cases.size(), 38u);
  for (const std::string& name : cases) {
    for (const char* file :
         {"context.json", "request.txt", "header-canonical-request.txt",
          "header-string-to-sign.txt", "header-signature.txt", "header-signed-request.txt",
          "query-canonical-request.txt", "query-string-to-sign.txt", "query-signature.txt",
          "query-signed-request.txt"}) {
      EXPECT_TRUE(fs::exists(kSuiteDir / name / file)) << name << "/" << file;
    }
  }
  EXPECT_TRUE(fs::exists(kSuiteDir / "LICENSE"));
  EXPECT_TRUE(fs::exists(kSuiteDir / "NOTICE"));
}

class SigV4CaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4CaseTest, HeaderSigningMatchesByteForByte) {
  const fs::path dir = kSuiteDir / GetParam();
  Case c = LoadCase(dir);
  SignableRequest request = c.parsed.request;
  absl::StatusOr<SigningResult> result = SignHeaders(request, c.credentials, c.params);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->canonical_request, ReadFile(dir / "header-canonical-request.txt"));
  EXPECT_EQ(result->string_to_sign, ReadFile(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(result->signature, ReadFile(dir / "header-signature.txt"));
  EXPECT_EQ(Render(request, c.parsed.raw_query, c.parsed.body),
            ReadFile(dir / "header-signed-request.txt"));
}

TEST_P(SigV4CaseTest, QuerySigningMatchesByteForByte) {
  const fs::path dir = kSuiteDir / GetParam();
  Case c = LoadCase(dir);
  SignableRequest request = c.parsed.request;
  const std::size_t original_params = request.query.size();
  absl::StatusOr<SigningResult> result =
      Presign(request, c.credentials, c.params, c.expires_in);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->canonical_request, ReadFile(dir / "query-canonical-request.txt"));
  EXPECT_EQ(result->string_to_sign, ReadFile(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(result->signature, ReadFile(dir / "query-signature.txt"));
  // The original query as written, then the signing parameters as appended.
  std::vector<QueryParam> added(request.query.begin() + original_params, request.query.end());
  std::string query = c.parsed.raw_query;
  if (!query.empty()) query += "&";
  query += EncodeQuery(added);
  EXPECT_EQ(Render(request, query, c.parsed.body), ReadFile(dir / "query-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4CaseTest, ::testing::ValuesIn(ListCases()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace cohort::blob::s3
