#include "blob/s3/sigv4.h"

#include <algorithm>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "blob/s3/crypto.h"
#include "blob/s3/uri_encode.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Headers that proxies and HTTP stacks may add, drop or rewrite on the way:
// signing them would make the signature fragile (the AWS SDKs skip them too).
bool IsUnsignedHeader(std::string_view lower_name) {
  static constexpr std::string_view kSkipped[] = {
      "authorization", "user-agent",        "x-amzn-trace-id", "expect",
      "connection",    "transfer-encoding", "upgrade",         "keep-alive",
      "proxy-authorization", "te"};
  return std::find(std::begin(kSkipped), std::end(kSkipped), lower_name) !=
         std::end(kSkipped);
}

// Trims and collapses every run of whitespace (including folded line breaks)
// to one space, as SigV4's canonical header value requires.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;           // "name:value\n" lines
  std::string signed_headers;  // "a;b;c"
};

// Lower-cased names in byte order; repeated headers joined with ',' in the
// order they appear.
CanonicalHeaders BuildCanonicalHeaders(const std::vector<HttpHeader>& headers) {
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const HttpHeader& h : headers) {
    std::string name = absl::AsciiStrToLower(AV(h.name));
    if (IsUnsignedHeader(name)) continue;
    lowered.emplace_back(std::move(name), CanonicalHeaderValue(h.value));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    if (i > 0 && lowered[i].first == lowered[i - 1].first) {
      out.block.pop_back();  // the '\n'
      absl::StrAppend(&out.block, ",", lowered[i].second, "\n");
      continue;
    }
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += lowered[i].first;
    absl::StrAppend(&out.block, lowered[i].first, ":", lowered[i].second, "\n");
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AV(a), AV(b));
}

void RemoveHeader(std::vector<HttpHeader>& headers, std::string_view name) {
  std::erase_if(headers, [&](const HttpHeader& h) { return EqualsIgnoreCase(h.name, name); });
}

absl::Status ValidateInputs(const SignableRequest& request, const Credentials& credentials,
                            const SigningParams& params) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        "SigV4: credentials need both an access key id and a secret access key");
  }
  if (params.region.empty()) {
    return absl::InvalidArgumentError("SigV4: region must be set (e.g. \"us-east-1\")");
  }
  if (params.service.empty()) {
    return absl::InvalidArgumentError("SigV4: service must be set (e.g. \"s3\")");
  }
  if (params.time == absl::InfinitePast() || params.time == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("SigV4: the signing time must be set");
  }
  if (request.method.empty()) {
    return absl::InvalidArgumentError("SigV4: the request method must be set");
  }
  if (request.path.empty() || request.path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("SigV4: the path must start with '/', got \"", request.path, "\""));
  }
  if (params.payload_hash.empty()) {
    return absl::InvalidArgumentError(
        "SigV4: payload_hash must be a hex SHA-256 or UNSIGNED-PAYLOAD");
  }
  return absl::OkStatus();
}

std::string Scope(const SigningParams& params) {
  return absl::StrCat(absl::FormatTime("%Y%m%d", params.time, absl::UTCTimeZone()), "/",
                      params.region, "/", params.service, "/aws4_request");
}

// Fills canonical_request, string_to_sign and signature of `result` from the
// already-assembled request.
absl::Status Sign(const SignableRequest& request, const CanonicalHeaders& headers,
                  const Credentials& credentials, const SigningParams& params,
                  SigningResult& result) {
  result.signed_headers = headers.signed_headers;
  result.canonical_request = absl::StrCat(
      request.method, "\n", CanonicalUri(request.path, params.normalize_path), "\n",
      CanonicalQueryString(request.query), "\n", headers.block, "\n",
      headers.signed_headers, "\n", params.payload_hash);
  COHORT_ASSIGN_OR_RETURN(std::string request_hash, Sha256Hex(result.canonical_request));
  result.string_to_sign = absl::StrCat(kAlgorithm, "\n", AmzDate(params.time), "\n",
                                       Scope(params), "\n", request_hash);
  const std::string date = absl::FormatTime("%Y%m%d", params.time, absl::UTCTimeZone());
  COHORT_ASSIGN_OR_RETURN(std::string key,
                          HmacSha256(absl::StrCat("AWS4", credentials.secret_access_key), date));
  COHORT_ASSIGN_OR_RETURN(key, HmacSha256(key, params.region));
  COHORT_ASSIGN_OR_RETURN(key, HmacSha256(key, params.service));
  COHORT_ASSIGN_OR_RETURN(key, HmacSha256(key, "aws4_request"));
  COHORT_ASSIGN_OR_RETURN(std::string signature, HmacSha256(key, result.string_to_sign));
  result.signature = HexEncode(signature);
  return absl::OkStatus();
}

}  // namespace

std::string AmzDate(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  if (!normalize) return UriEncode(path, /*keep_slash=*/true);
  // RFC 3986 dot-segment removal, and empty segments dropped as the SigV4
  // suite expects ("//example//" -> "/example/").
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = true;
    } else if (segment == "." || segment.empty()) {
      trailing_slash = true;
    } else {
      segments.push_back(segment);
      trailing_slash = false;
    }
    if (last) break;
    start = end + 1;
  }
  std::string joined = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) joined.push_back('/');
    joined.append(segments[i]);
  }
  if (!segments.empty() && trailing_slash) joined.push_back('/');
  return UriEncode(joined, /*keep_slash=*/true);
}

std::string CanonicalQueryString(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, name, "=", value);
  }
  return out;
}

std::string EncodeQuery(const std::vector<QueryParam>& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, UriEncode(name, false), "=", UriEncode(value, false));
  }
  return out;
}

absl::StatusOr<SigningResult> SignHeaders(SignableRequest& request,
                                          const Credentials& credentials,
                                          const SigningParams& params) {
  COHORT_RETURN_IF_ERROR(ValidateInputs(request, credentials, params));
  for (std::string_view name : {"authorization", "x-amz-date", "x-amz-security-token",
                                "x-amz-content-sha256"}) {
    RemoveHeader(request.headers, name);
  }
  const bool has_token = !credentials.session_token.empty();
  if (has_token && params.sign_session_token) {
    request.headers.push_back({"X-Amz-Security-Token", credentials.session_token});
  }
  request.headers.push_back({"X-Amz-Date", AmzDate(params.time)});
  if (params.add_content_sha256_header) {
    request.headers.push_back({"x-amz-content-sha256", params.payload_hash});
  }
  const CanonicalHeaders headers = BuildCanonicalHeaders(request.headers);
  SigningResult result;
  COHORT_RETURN_IF_ERROR(Sign(request, headers, credentials, params, result));
  result.authorization =
      absl::StrCat(kAlgorithm, " Credential=", credentials.access_key_id, "/", Scope(params),
                   ", SignedHeaders=", result.signed_headers, ", Signature=", result.signature);
  if (has_token && !params.sign_session_token) {
    // Placed where a signed token would have been, before X-Amz-Date.
    auto date = std::find_if(request.headers.begin(), request.headers.end(),
                             [](const HttpHeader& h) { return h.name == "X-Amz-Date"; });
    request.headers.insert(date, {"X-Amz-Security-Token", credentials.session_token});
  }
  request.headers.push_back({"Authorization", result.authorization});
  return result;
}

absl::StatusOr<SigningResult> Presign(SignableRequest& request,
                                      const Credentials& credentials,
                                      const SigningParams& params,
                                      absl::Duration expires_in) {
  COHORT_RETURN_IF_ERROR(ValidateInputs(request, credentials, params));
  if (expires_in < absl::Seconds(1) || expires_in > absl::Hours(24 * 7) ||
      expires_in != absl::Trunc(expires_in, absl::Seconds(1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("presigned URLs must expire in 1 s to 7 days, in whole seconds; got ",
                     absl::FormatDuration(expires_in)));
  }
  std::erase_if(request.query, [](const QueryParam& p) {
    for (std::string_view name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                  "X-Amz-SignedHeaders", "X-Amz-Expires",
                                  "X-Amz-Security-Token", "X-Amz-Signature"}) {
      if (EqualsIgnoreCase(p.first, name)) return true;
    }
    return false;
  });
  const CanonicalHeaders headers = BuildCanonicalHeaders(request.headers);
  request.query.emplace_back("X-Amz-Algorithm", kAlgorithm);
  request.query.emplace_back("X-Amz-Credential",
                             absl::StrCat(credentials.access_key_id, "/", Scope(params)));
  request.query.emplace_back("X-Amz-Date", AmzDate(params.time));
  request.query.emplace_back("X-Amz-SignedHeaders", headers.signed_headers);
  request.query.emplace_back("X-Amz-Expires",
                             absl::StrCat(absl::ToInt64Seconds(expires_in)));
  const bool has_token = !credentials.session_token.empty();
  if (has_token && params.sign_session_token) {
    request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  SigningResult result;
  COHORT_RETURN_IF_ERROR(Sign(request, headers, credentials, params, result));
  if (has_token && !params.sign_session_token) {
    request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  request.query.emplace_back("X-Amz-Signature", result.signature);
  return result;
}

}  // namespace cohort::blob::s3
