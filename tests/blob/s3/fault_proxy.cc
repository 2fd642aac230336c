#include "fault_proxy.h"

#include <curl/curl.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace cohort::blob::s3::testing {
namespace {

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

bool IsUploadPart(const TestRequest& r) {
  return r.method == "PUT" && !QueryValue(r.target, "partNumber").empty();
}

}  // namespace

std::string QueryValue(const std::string& target, const std::string& name) {
  const std::size_t q = target.find('?');
  if (q == std::string::npos) return "";
  for (absl::string_view param : absl::StrSplit(target.substr(q + 1), '&')) {
    const std::size_t eq = param.find('=');
    if (param.substr(0, eq) == name) {
      // A parameter without a value ("?uploads=") reads as " ": present.
      if (eq == absl::string_view::npos || eq + 1 == param.size()) return " ";
      return std::string(param.substr(eq + 1));
    }
  }
  return "";
}

FaultProxy::FaultProxy(std::string upstream) : upstream_(std::move(upstream)) {
  server_ = std::make_unique<TestHttpServer>([this](const TestRequest& r) { return Handle(r); },
                                             /*threads=*/12);
}

FaultProxy::~FaultProxy() {
  ReleaseHeld();
  server_.reset();
}

void FaultProxy::ResetPart(int number, int times) {
  absl::MutexLock lock(&mu_);
  reset_[number] = times;
}

void FaultProxy::HoldPart(int number) {
  absl::MutexLock lock(&mu_);
  hold_part_ = number;
}

void FaultProxy::GateUntilInFlight(int n) {
  absl::MutexLock lock(&mu_);
  gate_ = n;
}

void FaultProxy::ReleaseHeld() {
  absl::MutexLock lock(&mu_);
  released_ = true;
}

bool FaultProxy::WaitForHeld() {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](int* held) { return *held > 0; }, &held_),
                              absl::Seconds(60));
}

int FaultProxy::PartAttempts(int number) const {
  absl::MutexLock lock(&mu_);
  auto it = attempts_.find(number);
  return it == attempts_.end() ? 0 : it->second;
}

int FaultProxy::TotalPartAttempts() const {
  absl::MutexLock lock(&mu_);
  int total = 0;
  for (const auto& [number, n] : attempts_) total += n;
  return total;
}

int FaultProxy::MaxPartsInFlight() const {
  absl::MutexLock lock(&mu_);
  return max_in_flight_;
}

int FaultProxy::RequestsWith(const std::string& method, const std::string& needle) const {
  int n = 0;
  for (const TestRequest& r : server_->requests()) {
    n += r.method == method && !QueryValue(r.target, needle).empty();
  }
  return n;
}

TestResponse FaultProxy::Handle(const TestRequest& request) {
  if (request.method == "POST" && !QueryValue(request.target, "uploadId").empty()) {
    return ForwardWrite(request);  // CompleteMultipartUpload
  }
  if (!IsUploadPart(request)) {
    if (request.method == "PUT" || request.method == "DELETE") return ForwardWrite(request);
    return Forward(request);
  }
  int number = 0;
  (void)absl::SimpleAtoi(QueryValue(request.target, "partNumber"), &number);
  {
    absl::MutexLock lock(&mu_);
    ++attempts_[number];
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    if (gate_ > 0) {
      mu_.Await(absl::Condition(
          +[](FaultProxy* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->in_flight_ >= p->gate_ || p->released_;
          },
          this));
      gate_ = 0;  // opened once for all
    }
    bool reset = false;
    if (auto it = reset_.find(number); it != reset_.end() && it->second > 0) {
      --it->second;
      reset = true;
    }
    if (number == hold_part_) {
      ++held_;
      mu_.Await(absl::Condition(&released_));
      reset = true;
    }
    if (reset) {
      --in_flight_;
      TestResponse r;
      r.reset_connection = true;
      return r;
    }
  }
  TestResponse response = Forward(request);
  absl::MutexLock lock(&mu_);
  --in_flight_;
  return response;
}

TestResponse FaultProxy::Forward(const TestRequest& request) {
  TestResponse response;
  CURL* e = curl_easy_init();
  const std::string url = upstream_ + request.target;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  // Forward the client's Content-Type, never libcurl's form default.
  if (!request.Header("Content-Type")) headers = curl_slist_append(headers, "Content-Type:");
  for (const HttpHeader& h : request.headers) {
    const std::string name = absl::AsciiStrToLower(h.name);
    if (name == "content-length" || name == "transfer-encoding" || name == "expect" ||
        name == "connection") {
      continue;
    }
    // "Name;" is libcurl's way to send an empty value ("Name:" removes it).
    const std::string line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
    headers = curl_slist_append(headers, line.c_str());
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  if (request.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "PUT" || request.method == "POST" || !request.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.data());
    }
  }
  std::string head;
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Collect);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &head);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &response.body);
  const CURLcode code = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(e);
  if (code != CURLE_OK) {
    response.reset_connection = true;
    return response;
  }
  response.status = static_cast<int>(status);
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    const std::size_t colon = line.find(':');
    if (colon == absl::string_view::npos || absl::StartsWith(line, "HTTP/")) continue;
    std::string name(absl::StripAsciiWhitespace(line.substr(0, colon)));
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "transfer-encoding" || lower == "connection" || lower == "keep-alive") continue;
    if (lower == "content-length" && request.method != "HEAD") continue;
    response.headers.push_back(
        {std::move(name), std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)))});
  }
  return response;
}

}  // namespace cohort::blob::s3::testing
