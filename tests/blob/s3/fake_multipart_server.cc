#include "fake_multipart_server.h"

#include "absl/strings/numbers.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "blob/digest.h"
#include "fault_proxy.h"

namespace cohort::blob::s3::testing {
namespace {

TestResponse Xml(int status, std::string body) {
  TestResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/xml"});
  r.body = std::move(body);
  return r;
}

TestResponse Error(int status, const std::string& code) {
  return Xml(status, absl::StrCat("<Error><Code>", code, "</Code><Message>fake</Message>",
                                  "<RequestId>r1</RequestId></Error>"));
}

// "/bucket/key?query" -> "key"
std::string KeyOf(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  const std::size_t slash = path.find('/', 1);
  return slash == std::string::npos ? "" : path.substr(slash + 1);
}

}  // namespace

FakeMultipartServer::FakeMultipartServer() {
  server_ = std::make_unique<TestHttpServer>([this](const TestRequest& r) { return Handle(r); },
                                             /*threads=*/4);
}

FakeMultipartServer::~FakeMultipartServer() {
  Release();
  server_.reset();
}

void FakeMultipartServer::AddUpload(const std::string& upload_id,
                                    std::map<int, std::string> parts) {
  absl::MutexLock lock(&mu_);
  uploads_[upload_id] = std::move(parts);
}
void FakeMultipartServer::HideFromListing(int number) {
  absl::MutexLock lock(&mu_);
  hidden_ = number;
}
void FakeMultipartServer::FailCreate(int status, std::string body) {
  absl::MutexLock lock(&mu_);
  create_status_ = status;
  create_body_ = std::move(body);
}
void FakeMultipartServer::CorruptEtags() {
  absl::MutexLock lock(&mu_);
  corrupt_ = true;
}
void FakeMultipartServer::HangPart(int number) {
  absl::MutexLock lock(&mu_);
  hang_ = number;
}
void FakeMultipartServer::Release() {
  absl::MutexLock lock(&mu_);
  released_ = true;
}
bool FakeMultipartServer::hanging() const {
  absl::MutexLock lock(&mu_);
  return hanging_;
}
std::optional<std::string> FakeMultipartServer::Object(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}
std::vector<int> FakeMultipartServer::PartsReceived() const {
  absl::MutexLock lock(&mu_);
  return received_;
}
int FakeMultipartServer::creates() const {
  absl::MutexLock lock(&mu_);
  return creates_;
}
int FakeMultipartServer::aborts() const {
  absl::MutexLock lock(&mu_);
  return aborts_;
}
int FakeMultipartServer::completes() const {
  absl::MutexLock lock(&mu_);
  return completes_;
}

void FakeMultipartServer::Garble(const std::string& operation, int times, int status,
                                 std::string body) {
  absl::MutexLock lock(&mu_);
  garble_[operation] = Garbling{times, status, std::move(body)};
}

void FakeMultipartServer::LoseCompleteAnswers(int times) {
  absl::MutexLock lock(&mu_);
  lose_complete_ = times;
}

int FakeMultipartServer::requests(const std::string& operation) const {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(operation);
  return it == requests_.end() ? 0 : it->second;
}

std::optional<TestResponse> FakeMultipartServer::Garbled(const std::string& operation) {
  ++requests_[operation];
  auto it = garble_.find(operation);
  if (it == garble_.end() || it->second.times == 0) return std::nullopt;
  --it->second.times;
  return Xml(it->second.status, it->second.body);
}

TestResponse FakeMultipartServer::Handle(const TestRequest& request) {
  absl::MutexLock lock(&mu_);
  const std::string key = KeyOf(request.target);
  const std::string upload = QueryValue(request.target, "uploadId");
  if (request.method == "HEAD") {
    auto object = objects_.find(key);
    if (object == objects_.end()) return Error(404, "NoSuchKey");
    TestResponse r;
    r.headers.push_back({"ETag", absl::StrCat("\"", etags_[key], "\"")});
    r.headers.push_back({"Content-Length", absl::StrCat(object->second.size())});
    return r;
  }
  if (request.method == "POST" && !QueryValue(request.target, "uploads").empty()) {
    ++creates_;
    if (create_status_ != 0) return Xml(create_status_, create_body_);
    const std::string id = absl::StrCat("fake-", next_id_++);
    uploads_[id];
    return Xml(200,
               absl::StrCat("<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>", key,
                            "</Key><UploadId>", id, "</UploadId></InitiateMultipartUploadResult>"));
  }
  if (upload.empty()) return Error(400, "InvalidRequest");
  auto it = uploads_.find(upload);
  if (request.method == "DELETE") {
    ++aborts_;
    if (it != uploads_.end()) uploads_.erase(it);
    TestResponse r;
    r.status = 204;
    return r;
  }
  const char* operation = request.method == "PUT"   ? "UploadPart"
                          : request.method == "GET" ? "ListParts"
                                                    : "Complete";
  if (std::optional<TestResponse> garbled = Garbled(operation)) return *std::move(garbled);
  if (it == uploads_.end()) return Error(404, "NoSuchUpload");
  if (request.method == "PUT") {
    int number = 0;
    (void)absl::SimpleAtoi(QueryValue(request.target, "partNumber"), &number);
    received_.push_back(number);
    if (number == hang_) {
      hanging_ = true;
      mu_.Await(absl::Condition(&released_));
      TestResponse r;
      r.reset_connection = true;
      return r;
    }
    it->second[number] = request.body;
    TestResponse r;
    r.headers.push_back(
        {"ETag",
         absl::StrCat("\"", corrupt_ ? std::string(32, '0') : internal::Md5Hex(request.body),
                      "\"")});
    return r;
  }
  if (request.method == "GET") {
    std::string body = "<ListPartsResult><IsTruncated>false</IsTruncated>";
    for (const auto& [number, data] : it->second) {
      if (number == hidden_) continue;
      absl::StrAppend(&body, "<Part><PartNumber>", number, "</PartNumber><ETag>\"",
                      internal::Md5Hex(data), "\"</ETag><Size>", data.size(), "</Size></Part>");
    }
    return Xml(200, body + "</ListPartsResult>");
  }
  if (request.method == "POST") {
    ++completes_;
    std::string object, digests;
    for (const auto& [number, data] : it->second) {
      object += data;
      digests += absl::HexStringToBytes(internal::Md5Hex(data));
    }
    objects_[key] = std::move(object);
    etags_[key] = absl::StrCat(internal::Md5Hex(digests), "-", it->second.size());
    uploads_.erase(it);
    if (lose_complete_ > 0) {
      --lose_complete_;
      TestResponse reset;
      reset.reset_connection = true;
      return reset;
    }
    return Xml(200, absl::StrCat("<CompleteMultipartUploadResult><Key>", key,
                                 "</Key><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>"));
  }
  return Error(400, "InvalidRequest");
}

}  // namespace cohort::blob::s3::testing
