// A fault-injecting HTTP proxy for tests, between cohort and s3rver: forwards
// every request to the upstream server (with libcurl, on one of its own
// threads), and for chosen UploadPart requests resets the connection or holds
// the request until released. Counts UploadPart requests per part and the
// most in flight at once. It can also enforce the conditional writes that
// s3rver ignores (see EnforceConditionalWrites).
#ifndef COHORT_TESTS_BLOB_S3_FAULT_PROXY_H_
#define COHORT_TESTS_BLOB_S3_FAULT_PROXY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "test_http_server.h"

namespace cohort::blob::s3::testing {

class FaultProxy {
 public:
  // `upstream`: "http://127.0.0.1:<port>".
  explicit FaultProxy(std::string upstream);
  // Releases held requests, then stops.
  ~FaultProxy();

  // "http://127.0.0.1:<port>"
  std::string url() const { return server_->url(); }

  // Resets the connection on the first `times` attempts of part `number`.
  void ResetPart(int number, int times);
  // Holds every attempt of part `number` until ReleaseHeld(), then resets it.
  void HoldPart(int number);
  // Holds the first UploadPart requests until `n` are in flight at once.
  void GateUntilInFlight(int n);
  void ReleaseHeld();

  // Makes writes honour If-None-Match: * and If-Match the way AWS S3 does,
  // in front of a server that ignores them (s3rver): a PutObject, CopyObject
  // or CompleteMultipartUpload with a condition first HEADs the key upstream
  // and answers 412 PreconditionFailed (the key exists, or has another ETag)
  // or 404 NoSuchKey (If-Match on a missing key) as S3 does, else forwards.
  // Every object write and delete through the proxy is serialized with those
  // checks, so a check and its write are atomic, as on S3. Call before any
  // request.
  void EnforceConditionalWrites();
  // Writes refused by EnforceConditionalWrites.
  int RefusedConditionalWrites() const;
  // Waits (bounded by 60 s of real time, only so that a broken test cannot
  // hang) until a held request arrived; false on timeout.
  bool WaitForHeld();

  // UploadPart attempts seen for part `number`, and in total.
  int PartAttempts(int number) const;
  int TotalPartAttempts() const;
  int MaxPartsInFlight() const;
  // Requests seen whose query holds `needle` (e.g. "uploads", "uploadId").
  int RequestsWith(const std::string& method, const std::string& needle) const;

 private:
  TestResponse Handle(const TestRequest& request);
  TestResponse Forward(const TestRequest& request);
  // EnforceConditionalWrites's path for object writes and deletes.
  TestResponse ForwardWrite(const TestRequest& request);
  // The answer S3 would give to a failed condition of `request`, if any.
  std::optional<TestResponse> CheckConditions(const TestRequest& request);

  const std::string upstream_;
  mutable absl::Mutex mu_;
  std::map<int, int> reset_ ABSL_GUARDED_BY(mu_);
  std::map<int, int> attempts_ ABSL_GUARDED_BY(mu_);
  int hold_part_ ABSL_GUARDED_BY(mu_) = 0;
  int held_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  int gate_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int max_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool enforce_conditions_ ABSL_GUARDED_BY(mu_) = false;
  int refused_ ABSL_GUARDED_BY(mu_) = 0;
  // Held across a condition check and its forwarded write.
  absl::Mutex write_mu_;
  std::unique_ptr<TestHttpServer> server_;
};

// The value of query parameter `name` in a request target, or "".
std::string QueryValue(const std::string& target, const std::string& name);

}  // namespace cohort::blob::s3::testing

#endif  // COHORT_TESTS_BLOB_S3_FAULT_PROXY_H_
