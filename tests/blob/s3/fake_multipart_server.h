// An in-memory stand-in for the multipart calls of S3, on a TestHttpServer,
// for the paths s3rver lacks (ListParts, AbortMultipartUpload) and for bad
// answers: garbage documents, wrong ETags, error codes, a part that never
// gets an answer. Thread-safe; serves requests on several threads so that an
// abort is answered while a part hangs.
#ifndef COHORT_TESTS_BLOB_S3_FAKE_MULTIPART_SERVER_H_
#define COHORT_TESTS_BLOB_S3_FAKE_MULTIPART_SERVER_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "test_http_server.h"

namespace cohort::blob::s3::testing {

class FakeMultipartServer {
 public:
  FakeMultipartServer();
  ~FakeMultipartServer();

  std::string url() const { return server_->url(); }

  // An upload with these parts already stored (for resume tests).
  void AddUpload(const std::string& upload_id, std::map<int, std::string> parts);
  // ListParts leaves this part out (the server lost it).
  void HideFromListing(int number);
  // CreateMultipartUpload answers this (status, body) instead.
  void FailCreate(int status, std::string body);
  // UploadPart answers a wrong ETag.
  void CorruptEtags();
  // The next `times` requests of `operation` ("UploadPart", "ListParts" or
  // "Complete") get `status` and `body` instead of being served (nothing is
  // stored; an UploadPart answer then carries no ETag). HEAD of a key answers
  // the stored object's ETag (as S3 computes it for multipart objects) and
  // size, or 404.
  void Garble(const std::string& operation, int times, int status, std::string body);
  // The next `times` CompleteMultipartUpload requests complete the upload,
  // then get a reset instead of the answer (the client cannot know).
  void LoseCompleteAnswers(int times);
  // Requests per operation, garbled ones included.
  int requests(const std::string& operation) const;
  // Part `number` gets no answer until Release(); then a reset.
  void HangPart(int number);
  void Release();
  bool hanging() const;

  // The stored object, or nullopt.
  std::optional<std::string> Object(const std::string& key) const;
  // Part numbers received by UploadPart, in order.
  std::vector<int> PartsReceived() const;
  int creates() const;
  int aborts() const;
  int completes() const;

 private:
  TestResponse Handle(const TestRequest& request);

  mutable absl::Mutex mu_;
  int next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, std::map<int, std::string>> uploads_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> objects_ ABSL_GUARDED_BY(mu_);
  std::vector<int> received_ ABSL_GUARDED_BY(mu_);
  int hidden_ ABSL_GUARDED_BY(mu_) = 0;
  int create_status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string create_body_ ABSL_GUARDED_BY(mu_);
  bool corrupt_ ABSL_GUARDED_BY(mu_) = false;
  int hang_ ABSL_GUARDED_BY(mu_) = 0;
  bool hanging_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  int creates_ ABSL_GUARDED_BY(mu_) = 0;
  int aborts_ ABSL_GUARDED_BY(mu_) = 0;
  int completes_ ABSL_GUARDED_BY(mu_) = 0;
  struct Garbling {
    int times = 0;
    int status = 200;
    std::string body;
  };
  std::map<std::string, Garbling> garble_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> requests_ ABSL_GUARDED_BY(mu_);
  int lose_complete_ ABSL_GUARDED_BY(mu_) = 0;
  // S3's ETag of each completed object: MD5 of the parts' MD5s, "-N".
  std::map<std::string, std::string> etags_ ABSL_GUARDED_BY(mu_);
  // Answers `request` with a garbled reply if one is due for `operation`.
  std::optional<TestResponse> Garbled(const std::string& operation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::unique_ptr<TestHttpServer> server_;
};

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_FAKE_MULTIPART_SERVER_H_
