#include "cohort/blob/uri.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "blob/strings.h"
#include "cohort/base/status.h"

namespace cohort::blob {
namespace {

using internal::Av;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(std::string_view in, std::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad percent-encoding in ", Av(what), " \"", Av(in), "\": '%' at offset ", i,
          " must be followed by two hex digits"));
    }
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad percent-encoding in ", Av(what), " \"", Av(in), "\": '%' at offset ", i,
          " must be followed by two hex digits"));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  if (out.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(what), " \"", Av(in), "\" decodes to a NUL byte"));
  }
  return out;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool LooksLikeIpv4(std::string_view s) {
  int dots = 0;
  int digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

absl::Status ValidateGcsBucketName(std::string_view bucket) {
  const bool dotted = bucket.find('.') != std::string_view::npos;
  const std::size_t max = dotted ? 222 : 63;
  if (bucket.size() < 3 || bucket.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat("bad gs bucket name \"", Av(bucket),
                                                   "\": must be 3 to ", max, " characters"));
  }
  for (char c : bucket) {
    if (!IsLowerAlnum(c) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("bad gs bucket name \"", Av(bucket),
                       "\": only lower-case letters, digits, '-', '_' and '.' are allowed"));
    }
  }
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad gs bucket name \"", Av(bucket), "\": must start and end with a letter or digit"));
  }
  if (LooksLikeIpv4(bucket) || bucket.starts_with("goog")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad gs bucket name \"", Av(bucket), "\": IP addresses and the prefix \"goog\" are reserved"));
  }
  return absl::OkStatus();
}

absl::Status ValidateEndpoint(std::string_view endpoint) {
  std::string_view rest;
  if (endpoint.starts_with("http://")) {
    rest = endpoint.substr(7);
  } else if (endpoint.starts_with("https://")) {
    rest = endpoint.substr(8);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint \"", Av(endpoint), "\" must start with http:// or https://"));
  }
  const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.front() == ':') {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint \"", Av(endpoint), "\" has no host name"));
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint \"", Av(endpoint), "\" must not carry a query or fragment"));
  }
  for (char c : endpoint) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "endpoint \"", Av(endpoint), "\" contains a space or control character"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(std::string_view query,
                                                              std::string_view scheme) {
  std::map<std::string, std::string> params;
  if (query.empty()) return params;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (pair.empty() || eq == std::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(scheme), ":// query parameter \"", Av(pair), "\" must have the form name=value"));
    }
    const std::string name(pair.substr(0, eq));
    if (name != "region" && name != "endpoint" && name != "path_style") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown ", Av(scheme), ":// query parameter \"", name,
                       "\"; the known ones are region, endpoint and path_style"));
    }
    COHORT_ASSIGN_OR_RETURN(std::string value,
                            PercentDecode(pair.substr(eq + 1), absl::StrCat("parameter ", name)));
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(scheme), ":// query parameter \"", name, "\" has an empty value; omit it instead"));
    }
    if (!params.emplace(name, std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(scheme), ":// query parameter \"", name, "\" is given more than once"));
    }
    start = end + 1;
  }
  return params;
}

absl::StatusOr<BlobUri> ParseBucketUri(std::string_view rest, bool gcs) {
  const std::string_view scheme = gcs ? "gs" : "s3";
  const std::size_t qpos = rest.find('?');
  const std::string_view authority = rest.substr(0, std::min(qpos, rest.find('/')));
  const std::string_view after = rest.substr(authority.size());
  // A lone trailing '/' (s3://bucket/ or s3://bucket/?region=x) is harmless;
  // anything after it would be a key prefix, which the URI does not carry.
  if (after.starts_with('/') && after.size() > 1 && after[1] != '?') {
    return absl::InvalidArgumentError(absl::StrCat(
        Av(scheme), ":// URIs name a bucket only (", Av(scheme),
        "://bucket?region=...); put key prefixes in the keys, not in the URI"));
  }
  if (rest.find('#') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(scheme), ":// URIs must not carry a fragment ('#')"));
  }
  BlobUri uri;
  uri.scheme = gcs ? BlobUri::Scheme::kGcs : BlobUri::Scheme::kS3;
  uri.s3.service = gcs ? S3Location::Service::kGcs : S3Location::Service::kAws;
  if (authority.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(scheme), ":// URI has no bucket: write ", Av(scheme), "://bucket"));
  }
  uri.s3.bucket = std::string(authority);
  COHORT_RETURN_IF_ERROR(gcs ? ValidateGcsBucketName(uri.s3.bucket)
                             : ValidateS3BucketName(uri.s3.bucket));
  const std::string_view query =
      qpos == std::string_view::npos ? std::string_view() : rest.substr(qpos + 1);
  COHORT_ASSIGN_OR_RETURN(auto params, ParseQuery(query, scheme));
  if (gcs) {
    uri.s3.region = "auto";
    uri.s3.endpoint = "https://storage.googleapis.com";
  }
  if (auto it = params.find("region"); it != params.end()) {
    for (char c : it->second) {
      if (!IsLowerAlnum(c) && c != '-') {
        return absl::InvalidArgumentError(absl::StrCat(
            "region \"", it->second, "\" may hold only a-z, 0-9 and '-' (e.g. eu-west-1)"));
      }
    }
    uri.s3.region = it->second;
  }
  if (auto it = params.find("endpoint"); it != params.end()) {
    COHORT_RETURN_IF_ERROR(ValidateEndpoint(it->second));
    std::string endpoint = it->second;
    while (endpoint.ends_with('/')) endpoint.pop_back();
    uri.s3.endpoint = std::move(endpoint);
  }
  if (auto it = params.find("path_style"); it != params.end()) {
    if (it->second == "true") {
      uri.s3.path_style = true;
    } else if (it->second != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat("path_style must be true or false, got \"", it->second, "\""));
    }
  }
  return uri;
}

absl::StatusOr<BlobUri> ParseFileUri(std::string_view rest) {
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "file:// URIs take no query or fragment: write file:///absolute/path");
  }
  const std::size_t slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (!host.empty() && host != "localhost") {
    return absl::InvalidArgumentError(absl::StrCat(
        "file:// URI names host \"", Av(host),
        "\"; a file:// URI needs an absolute path after the two slashes, as in "
        "file:///var/data (three slashes); relative paths are not accepted"));
  }
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "file:// URI has no path: write file:///absolute/path");
  }
  BlobUri uri;
  uri.scheme = BlobUri::Scheme::kFile;
  COHORT_ASSIGN_OR_RETURN(uri.file_root, PercentDecode(rest.substr(slash), "file path"));
  return uri;
}

}  // namespace

absl::Status ValidateS3BucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad s3 bucket name \"", Av(bucket), "\": must be 3 to 63 characters, got ",
        bucket.size()));
  }
  for (char c : bucket) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("bad s3 bucket name \"", Av(bucket),
                       "\": only lower-case letters, digits, '-' and '.' are allowed"));
    }
  }
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad s3 bucket name \"", Av(bucket), "\": must start and end with a letter or digit"));
  }
  if (bucket.find("..") != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad s3 bucket name \"", Av(bucket), "\": must not contain two adjacent periods"));
  }
  if (LooksLikeIpv4(bucket)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad s3 bucket name \"", Av(bucket), "\": must not be formatted as an IP address"));
  }
  for (std::string_view reserved : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (bucket.starts_with(reserved)) {
      return absl::InvalidArgumentError(absl::StrCat("bad s3 bucket name \"", Av(bucket),
                                                     "\": the prefix \"", Av(reserved),
                                                     "\" is reserved"));
    }
  }
  for (std::string_view reserved : {"-s3alias", "--ol-s3", ".mrap", "--x-s3"}) {
    if (bucket.ends_with(reserved)) {
      return absl::InvalidArgumentError(absl::StrCat("bad s3 bucket name \"", Av(bucket),
                                                     "\": the suffix \"", Av(reserved),
                                                     "\" is reserved"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BlobUri> ParseBlobUri(std::string_view uri) {
  const std::size_t sep = uri.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", Av(uri),
        "\" is not a blob storage URI: expected mem://, file:///path, s3://bucket or "
        "gs://bucket"));
  }
  const std::string scheme = absl::AsciiStrToLower(Av(uri.substr(0, sep)));
  const std::string_view rest = uri.substr(sep + 3);
  if (scheme == "mem") {
    if (rest.find_first_of("/?#") != std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mem:// URI \"", Av(uri), "\" may carry only a name (mem://name), no path or query"));
    }
    BlobUri parsed;
    parsed.scheme = BlobUri::Scheme::kMemory;
    COHORT_ASSIGN_OR_RETURN(parsed.memory_name, PercentDecode(rest, "mem:// name"));
    return parsed;
  }
  if (scheme == "file") return ParseFileUri(rest);
  if (scheme == "s3") return ParseBucketUri(rest, /*gcs=*/false);
  if (scheme == "gs") return ParseBucketUri(rest, /*gcs=*/true);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown blob storage URI scheme \"", scheme,
                   "\": use mem://, file:///path, s3://bucket or gs://bucket"));
}

}  // namespace cohort::blob
