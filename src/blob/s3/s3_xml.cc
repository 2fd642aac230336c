#include "blob/s3/s3_xml.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/uri_encode.h"
#include "blob/s3/xml_reader.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::blob::s3 {
namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::StatusCode CodeForS3Error(std::string_view code) {
  static constexpr std::pair<std::string_view, absl::StatusCode> kTable[] = {
      {"NoSuchKey", absl::StatusCode::kNotFound},
      {"NoSuchBucket", absl::StatusCode::kNotFound},
      {"NoSuchUpload", absl::StatusCode::kNotFound},
      {"NoSuchVersion", absl::StatusCode::kNotFound},
      {"AccessDenied", absl::StatusCode::kPermissionDenied},
      {"SignatureDoesNotMatch", absl::StatusCode::kPermissionDenied},
      {"InvalidAccessKeyId", absl::StatusCode::kPermissionDenied},
      {"ExpiredToken", absl::StatusCode::kPermissionDenied},
      {"InvalidToken", absl::StatusCode::kPermissionDenied},
      {"TokenRefreshRequired", absl::StatusCode::kPermissionDenied},
      {"RequestTimeTooSkewed", absl::StatusCode::kPermissionDenied},
      {"AccountProblem", absl::StatusCode::kPermissionDenied},
      {"AllAccessDisabled", absl::StatusCode::kPermissionDenied},
      {"InvalidSecurity", absl::StatusCode::kPermissionDenied},
      {"AuthorizationHeaderMalformed", absl::StatusCode::kPermissionDenied},
      {"SlowDown", absl::StatusCode::kUnavailable},
      {"ServiceUnavailable", absl::StatusCode::kUnavailable},
      {"InternalError", absl::StatusCode::kUnavailable},
      {"RequestTimeout", absl::StatusCode::kUnavailable},
      {"Throttling", absl::StatusCode::kUnavailable},
      {"ThrottlingException", absl::StatusCode::kUnavailable},
      {"RequestLimitExceeded", absl::StatusCode::kUnavailable},
      {"PreconditionFailed", absl::StatusCode::kFailedPrecondition},
      {"BucketNotEmpty", absl::StatusCode::kFailedPrecondition},
      {"InvalidObjectState", absl::StatusCode::kFailedPrecondition},
      {"ConditionalRequestConflict", absl::StatusCode::kAborted},
      {"OperationAborted", absl::StatusCode::kAborted},
      {"InvalidRange", absl::StatusCode::kInvalidArgument},
      {"InvalidArgument", absl::StatusCode::kInvalidArgument},
      {"InvalidRequest", absl::StatusCode::kInvalidArgument},
      {"InvalidBucketName", absl::StatusCode::kInvalidArgument},
      {"KeyTooLongError", absl::StatusCode::kInvalidArgument},
      {"EntityTooLarge", absl::StatusCode::kInvalidArgument},
      {"EntityTooSmall", absl::StatusCode::kInvalidArgument},
      {"MalformedXML", absl::StatusCode::kInvalidArgument},
      {"InvalidPart", absl::StatusCode::kInvalidArgument},
      {"InvalidPartOrder", absl::StatusCode::kInvalidArgument},
      {"InvalidDigest", absl::StatusCode::kInvalidArgument},
      {"MetadataTooLarge", absl::StatusCode::kInvalidArgument},
      {"MissingContentLength", absl::StatusCode::kInvalidArgument},
      {"BadDigest", absl::StatusCode::kDataLoss},
      {"BucketAlreadyExists", absl::StatusCode::kAlreadyExists},
      {"BucketAlreadyOwnedByYou", absl::StatusCode::kAlreadyExists},
      {"NotImplemented", absl::StatusCode::kUnimplemented},
      {"TooManyBuckets", absl::StatusCode::kResourceExhausted},
  };
  for (const auto& [name, status] : kTable) {
    if (name == code) return status;
  }
  return absl::StatusCode::kUnknown;
}

absl::StatusCode CodeForHttpStatus(int status) {
  if (status == 304 || status == 412) return absl::StatusCode::kFailedPrecondition;
  if (status == 400 || status == 411 || status == 413 || status == 414 || status == 416) {
    return absl::StatusCode::kInvalidArgument;
  }
  if (status == 401 || status == 403) return absl::StatusCode::kPermissionDenied;
  if (status == 404) return absl::StatusCode::kNotFound;
  if (status == 409) return absl::StatusCode::kAborted;
  if (status == 405 || status == 501) return absl::StatusCode::kUnimplemented;
  if (status == 408 || status == 429 || status >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

absl::Status Malformed(std::string_view what, const absl::Status& cause) {
  return absl::UnavailableError(absl::StrCat("malformed S3 response to ", AV(what), ": ",
                                             cause.message()));
}

// An <Error> document in a 200 response (CopyObject, CompleteMultipartUpload).
bool IsErrorDocument(const XmlElement& root) { return root.name == "Error"; }

}  // namespace

absl::Status S3ErrorStatus(const HttpResponse& response, std::string_view operation) {
  std::string code;
  std::string message;
  std::string request_id = response.Header("x-amz-request-id").value_or("");
  if (!response.body.empty()) {
    absl::StatusOr<XmlElement> root = ParseXml(response.body);
    if (root.ok() && root->name == "Error") {
      code = root->ChildText("Code");
      message = root->ChildText("Message");
      if (const std::string id = root->ChildText("RequestId"); !id.empty()) request_id = id;
    }
  }
  absl::StatusCode status_code = CodeForS3Error(code);
  if (status_code == absl::StatusCode::kUnknown) status_code = CodeForHttpStatus(response.status);
  std::string text = absl::StrCat("S3 ", AV(operation), ": ",
                                  code.empty() ? "HTTP error" : code, " (HTTP ", response.status,
                                  ")");
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  if (!request_id.empty()) absl::StrAppend(&text, " [request id ", request_id, "]");
  absl::Status status(status_code, text);
  if (status_code == absl::StatusCode::kUnavailable) {
    int seconds = 0;
    if (std::optional<std::string> retry_after = response.Header("Retry-After");
        retry_after && absl::SimpleAtoi(*retry_after, &seconds) && seconds >= 0) {
      status = WithRetryAfter(std::move(status), absl::Seconds(seconds));
    }
  }
  return status;
}

absl::StatusOr<absl::Time> ParseS3Time(std::string_view text) {
  absl::Time t;
  std::string error;
  const std::string s(text);
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &error)) return t;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", s, absl::UTCTimeZone(), &t, &error)) {
    return t;
  }
  return absl::InvalidArgumentError(absl::StrCat("bad S3 timestamp \"", s, "\""));
}

absl::StatusOr<ListObjectsV2Result> ParseListObjectsV2(std::string_view xml) {
  absl::StatusOr<XmlElement> root = ParseXml(xml);
  if (!root.ok()) return Malformed("ListObjectsV2", root.status());
  if (root->name != "ListBucketResult") {
    return Malformed("ListObjectsV2", absl::InvalidArgumentError(
                                          absl::StrCat("root element <", root->name, ">")));
  }
  const bool url_encoded = root->ChildText("EncodingType") == "url";
  auto decode = [&](std::string value) -> absl::StatusOr<std::string> {
    if (!url_encoded) return value;
    // EncodingType=url uses form encoding: '+' is a space.
    for (char& c : value) {
      if (c == '+') c = ' ';
    }
    return UriDecode(value);
  };
  ListObjectsV2Result result;
  result.is_truncated = root->ChildText("IsTruncated") == "true";
  result.next_continuation_token = root->ChildText("NextContinuationToken");
  for (const XmlElement* item : root->Children("Contents")) {
    S3Object object;
    absl::StatusOr<std::string> key = decode(item->ChildText("Key"));
    if (!key.ok()) return Malformed("ListObjectsV2", key.status());
    object.key = *std::move(key);
    if (object.key.empty()) {
      return Malformed("ListObjectsV2", absl::InvalidArgumentError("an entry without Key"));
    }
    if (!absl::SimpleAtoi(item->ChildText("Size"), &object.size)) {
      return Malformed("ListObjectsV2",
                       absl::InvalidArgumentError(absl::StrCat("bad Size of ", object.key)));
    }
    object.etag = item->ChildText("ETag");
    if (const std::string modified = item->ChildText("LastModified"); !modified.empty()) {
      absl::StatusOr<absl::Time> t = ParseS3Time(modified);
      if (!t.ok()) return Malformed("ListObjectsV2", t.status());
      object.last_modified = *t;
    }
    object.storage_class = item->ChildText("StorageClass");
    result.contents.push_back(std::move(object));
  }
  for (const XmlElement* prefix : root->Children("CommonPrefixes")) {
    absl::StatusOr<std::string> p = decode(prefix->ChildText("Prefix"));
    if (!p.ok()) return Malformed("ListObjectsV2", p.status());
    result.common_prefixes.push_back(*std::move(p));
  }
  if (result.is_truncated && result.next_continuation_token.empty()) {
    return Malformed("ListObjectsV2", absl::InvalidArgumentError(
                                          "IsTruncated without NextContinuationToken"));
  }
  return result;
}

absl::StatusOr<CopyObjectResult> ParseCopyObjectResult(const HttpResponse& response) {
  absl::StatusOr<XmlElement> root = ParseXml(response.body);
  if (!root.ok()) return Malformed("CopyObject", root.status());
  if (IsErrorDocument(*root)) return S3ErrorStatus(response, "CopyObject");
  if (root->name != "CopyObjectResult") {
    return Malformed("CopyObject",
                     absl::InvalidArgumentError(absl::StrCat("root element <", root->name, ">")));
  }
  CopyObjectResult result;
  result.etag = root->ChildText("ETag");
  if (result.etag.empty()) {
    return Malformed("CopyObject", absl::InvalidArgumentError("no ETag"));
  }
  if (const std::string modified = root->ChildText("LastModified"); !modified.empty()) {
    absl::StatusOr<absl::Time> t = ParseS3Time(modified);
    if (!t.ok()) return Malformed("CopyObject", t.status());
    result.last_modified = *t;
  }
  return result;
}

absl::StatusOr<InitiateMultipartUploadResult> ParseInitiateMultipartUpload(std::string_view xml) {
  absl::StatusOr<XmlElement> root = ParseXml(xml);
  if (!root.ok()) return Malformed("CreateMultipartUpload", root.status());
  if (root->name != "InitiateMultipartUploadResult") {
    return Malformed("CreateMultipartUpload", absl::InvalidArgumentError(absl::StrCat(
                                                  "root element <", root->name, ">")));
  }
  InitiateMultipartUploadResult result;
  result.bucket = root->ChildText("Bucket");
  result.key = root->ChildText("Key");
  result.upload_id = root->ChildText("UploadId");
  if (result.upload_id.empty()) {
    return Malformed("CreateMultipartUpload", absl::InvalidArgumentError("no UploadId"));
  }
  return result;
}

absl::StatusOr<CompleteMultipartUploadResult> ParseCompleteMultipartUpload(
    const HttpResponse& response) {
  absl::StatusOr<XmlElement> root = ParseXml(response.body);
  if (!root.ok()) return Malformed("CompleteMultipartUpload", root.status());
  if (IsErrorDocument(*root)) return S3ErrorStatus(response, "CompleteMultipartUpload");
  if (root->name != "CompleteMultipartUploadResult") {
    return Malformed("CompleteMultipartUpload", absl::InvalidArgumentError(absl::StrCat(
                                                    "root element <", root->name, ">")));
  }
  CompleteMultipartUploadResult result;
  result.location = root->ChildText("Location");
  result.bucket = root->ChildText("Bucket");
  result.key = root->ChildText("Key");
  result.etag = root->ChildText("ETag");
  if (result.etag.empty()) {
    return Malformed("CompleteMultipartUpload", absl::InvalidArgumentError("no ETag"));
  }
  return result;
}

absl::StatusOr<ListPartsResult> ParseListParts(std::string_view xml) {
  absl::StatusOr<XmlElement> root = ParseXml(xml);
  if (!root.ok()) return Malformed("ListParts", root.status());
  if (root->name != "ListPartsResult") {
    return Malformed("ListParts", absl::InvalidArgumentError(
                                      absl::StrCat("root element <", root->name, ">")));
  }
  ListPartsResult result;
  result.is_truncated = root->ChildText("IsTruncated") == "true";
  if (result.is_truncated &&
      !absl::SimpleAtoi(root->ChildText("NextPartNumberMarker"), &result.next_part_number_marker)) {
    return Malformed("ListParts",
                     absl::InvalidArgumentError("IsTruncated without NextPartNumberMarker"));
  }
  for (const XmlElement* item : root->Children("Part")) {
    ListedPart part;
    if (!absl::SimpleAtoi(item->ChildText("PartNumber"), &part.part_number) ||
        part.part_number < 1 || part.part_number > 10000 ||
        !absl::SimpleAtoi(item->ChildText("Size"), &part.size)) {
      return Malformed("ListParts", absl::InvalidArgumentError("a Part with a bad number or size"));
    }
    part.etag = item->ChildText("ETag");
    result.parts.push_back(std::move(part));
  }
  return result;
}

}  // namespace cohort::blob::s3
