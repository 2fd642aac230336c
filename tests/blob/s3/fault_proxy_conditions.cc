// FaultProxy::EnforceConditionalWrites: AWS S3's conditional writes in front
// of s3rver, which ignores If-None-Match and If-Match on writes. The check is
// a real HEAD of the key on the upstream server (nothing is assumed), and the
// refusals are the ones S3 documents: 412 PreconditionFailed when the
// condition fails, 404 NoSuchKey for If-Match on a missing key.
#include "fault_proxy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cohort::blob::s3::testing {
namespace {

TestResponse S3Error(int status, const std::string& code, const std::string& message) {
  TestResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/xml"});
  r.body = absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>", code,
                        "</Code><Message>", message, "</Message></Error>");
  return r;
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

void FaultProxy::EnforceConditionalWrites() {
  absl::MutexLock lock(&mu_);
  enforce_conditions_ = true;
}

int FaultProxy::RefusedConditionalWrites() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

TestResponse FaultProxy::ForwardWrite(const TestRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    if (!enforce_conditions_) return Forward(request);
  }
  absl::MutexLock write_lock(&write_mu_);
  if (std::optional<TestResponse> refusal = CheckConditions(request)) {
    absl::MutexLock lock(&mu_);
    ++refused_;
    return *std::move(refusal);
  }
  return Forward(request);
}

std::optional<TestResponse> FaultProxy::CheckConditions(const TestRequest& request) {
  const std::optional<std::string> if_none_match = request.Header("If-None-Match");
  const std::optional<std::string> if_match = request.Header("If-Match");
  if (!if_none_match && !if_match) return std::nullopt;
  // The key's current state, asked with the client's own credentials (s3rver
  // checks the access key id, not the signature).
  TestRequest head;
  head.method = "HEAD";
  head.target = request.target.substr(0, request.target.find('?'));
  for (const HttpHeader& h : request.headers) {
    const std::string name = absl::AsciiStrToLower(h.name);
    if (name == "authorization" || name == "x-amz-date" || name == "x-amz-security-token" ||
        name == "host") {
      head.headers.push_back(h);
    }
  }
  head.headers.push_back({"x-amz-content-sha256", "UNSIGNED-PAYLOAD"});
  const TestResponse current = Forward(head);
  if (current.reset_connection || (current.status != 200 && current.status != 404)) {
    return S3Error(503, "ServiceUnavailable",
                   absl::StrCat("condition check got HTTP ", current.status));
  }
  const bool exists = current.status == 200;
  if (if_none_match) {
    if (*if_none_match != "*") {
      return S3Error(501, "NotImplemented", "If-None-Match takes only *");
    }
    if (exists) {
      return S3Error(412, "PreconditionFailed",
                     "At least one of the pre-conditions you specified did not hold");
    }
  }
  if (if_match) {
    if (!exists) return S3Error(404, "NoSuchKey", "The specified key does not exist.");
    std::string etag;
    for (const HttpHeader& h : current.headers) {
      if (absl::AsciiStrToLower(h.name) == "etag") etag = h.value;
    }
    if (Unquote(etag) != Unquote(*if_match)) {
      return S3Error(412, "PreconditionFailed",
                     "At least one of the pre-conditions you specified did not hold");
    }
  }
  return std::nullopt;
}

}  // namespace cohort::blob::s3::testing
