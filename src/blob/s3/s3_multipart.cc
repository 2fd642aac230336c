#include "blob/s3/s3_multipart.h"

#include <algorithm>
#include <list>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/channel.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "blob/digest.h"
#include "blob/s3/s3_xml.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

std::string Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

S3Request NewRequest(const UploadTarget& target, const char* operation, const char* method,
                     std::string upload_id) {
  S3Request r;
  r.operation = operation;
  r.method = method;
  r.bucket = target.bucket;
  r.key = target.key;
  r.query.emplace_back("uploadId", std::move(upload_id));
  return r;
}

std::string Base64OfHex(const std::string& hex) {
  return absl::Base64Escape(absl::HexStringToBytes(hex));
}

}  // namespace

absl::StatusOr<std::uint64_t> ChoosePartSize(std::uint64_t wanted, std::uint64_t total) {
  if (wanted < kMinPartSize || wanted > kMaxPartSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("part_size must be in [5 MiB, 5 GiB] (S3's limits), got ", wanted, " bytes"));
  }
  const std::uint64_t needed = (total + kMaxParts - 1) / kMaxParts;
  if (needed <= wanted) return wanted;
  constexpr std::uint64_t kMiB = 1u << 20;
  const std::uint64_t grown = (needed + kMiB - 1) / kMiB * kMiB;
  if (grown > kMaxPartSize) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "an object of ", total, " bytes needs more than 10,000 parts of 5 GiB (S3's limits)"));
  }
  return grown;
}

bool IsNoSuchUpload(const absl::Status& status) {
  return absl::IsNotFound(status) && absl::StrContains(status.message(), "NoSuchUpload");
}

Awaitable<absl::StatusOr<std::string>> CreateMultipartUpload(UploadTarget target,
                                                             std::vector<HttpHeader> headers,
                                                             absl::Time deadline) {
  S3Request r;
  r.operation = "CreateMultipartUpload";
  r.method = "POST";
  r.bucket = target.bucket;
  r.key = target.key;
  r.query.emplace_back("uploads", "");
  r.headers = std::move(headers);
  r.deadline = deadline;
  COHORT_CO_ASSIGN_OR_RETURN(HttpResponse response, co_await target.client->Call(std::move(r)));
  COHORT_CO_ASSIGN_OR_RETURN(InitiateMultipartUploadResult result,
                             ParseInitiateMultipartUpload(response.body));
  co_return std::move(result.upload_id);
}

PartDigestKinds DigestKindsFor(PartChecksum checksum, bool sign_payload) {
  if (checksum == PartChecksum::kContentMd5) return PartDigestKinds{.md5 = true};
  return PartDigestKinds{.crc32c = true, .sha256 = sign_payload};
}

Awaitable<absl::StatusOr<std::string>> UploadPart(UploadTarget target, std::string upload_id,
                                                  int number, PartBody body,
                                                  PartChecksum checksum, absl::Time deadline) {
  S3Request r = NewRequest(target, "UploadPart", "PUT", std::move(upload_id));
  r.query.insert(r.query.begin(), QueryParam("partNumber", absl::StrCat(number)));
  // Usually computed already, in the pass that filled the part; computed once
  // here otherwise, and reused by every attempt.
  COHORT_CO_RETURN_IF_ERROR(
      CompleteDigests(body, DigestKindsFor(checksum, target.client->options().sign_payload)));
  const std::string md5 = body.md5_hex;
  if (checksum == PartChecksum::kContentMd5) {
    r.headers.push_back({"Content-MD5", Base64OfHex(md5)});
    r.unsigned_payload = true;  // the signed Content-MD5 already covers the body
  } else {
    r.payload_sha256 = std::move(body.sha256_hex);
    const std::uint32_t crc = *body.crc32c;
    const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                           static_cast<char>(crc >> 8), static_cast<char>(crc)};
    r.headers.push_back({"x-amz-checksum-crc32c", absl::Base64Escape(absl::string_view(bytes, 4))});
  }
  r.shared_body_owner = std::move(body.owner);
  r.shared_body = body.bytes;
  r.deadline = deadline;
  r.operation = absl::StrCat("UploadPart ", number, " of");
  // A part sent again replaces itself: an answer without an ETag is retried.
  r.check_response = [](const HttpResponse& response) {
    if (Unquote(response.Header("ETag").value_or("")).empty()) {
      return absl::UnavailableError("malformed S3 response: no ETag");
    }
    return absl::OkStatus();
  };
  COHORT_CO_ASSIGN_OR_RETURN(HttpResponse response, co_await target.client->Call(std::move(r)));
  std::string etag = Unquote(response.Header("ETag").value_or(""));
  if (!md5.empty() && !absl::EqualsIgnoreCase(etag, md5)) {
    co_return absl::DataLossError(absl::StrCat("UploadPart ", number, " of ", target.key,
                                               ": the server's ETag ", etag,
                                               " is not the part's MD5 ", md5));
  }
  co_return etag;
}

Awaitable<absl::StatusOr<std::string>> CompleteMultipartUpload(UploadTarget target,
                                                               std::string upload_id,
                                                               std::vector<UploadedPart> parts,
                                                               std::vector<HttpHeader> headers,
                                                               absl::Time deadline) {
  S3Request r = NewRequest(target, "CompleteMultipartUpload", "POST", std::move(upload_id));
  r.headers = std::move(headers);
  r.headers.push_back({"Content-Type", "application/xml"});
  std::string body = "<CompleteMultipartUpload>";
  for (const UploadedPart& part : parts) {
    absl::StrAppend(&body, "<Part><PartNumber>", part.number, "</PartNumber><ETag>\"", part.etag,
                    "\"</ETag></Part>");
  }
  body += "</CompleteMultipartUpload>";
  r.body = std::move(body);
  r.deadline = deadline;
  // S3 may answer 200 and then an <Error> (InternalError) or cut the body
  // short: Complete is idempotent, so both are retried like resets.
  r.check_response = [](const HttpResponse& response) {
    return ParseCompleteMultipartUpload(response).status();
  };
  absl::StatusOr<HttpResponse> response = co_await target.client->Call(std::move(r));
  // An earlier attempt may have completed the upload and lost its answer;
  // its retry then finds the upload gone (AWS: NoSuchUpload; s3rver: 500),
  // or, with If-None-Match, the object there (412). The object then carries
  // exactly these parts.
  if (!response.ok() &&
      (IsNoSuchUpload(response.status()) || absl::IsUnavailable(response.status()) ||
       absl::IsFailedPrecondition(response.status()))) {
    co_return co_await CheckCompletedElsewhere(std::move(target), std::move(parts),
                                               response.status(), deadline);
  }
  if (!response.ok()) co_return response.status();
  COHORT_CO_ASSIGN_OR_RETURN(CompleteMultipartUploadResult result,
                             ParseCompleteMultipartUpload(*response));
  co_return Unquote(result.etag);
}

absl::StatusOr<std::string> MultipartEtag(const std::vector<UploadedPart>& parts) {
  std::string digests;
  for (const UploadedPart& part : parts) {
    if (part.etag.size() != 32 ||
        part.etag.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrCat(
          "part ", part.number, "'s ETag \"", part.etag, "\" is not an MD5 (SSE-KMS?)"));
    }
    digests += absl::HexStringToBytes(part.etag);
  }
  return absl::StrCat(internal::Md5Hex(digests), "-", parts.size());
}

Awaitable<absl::StatusOr<std::string>> CheckCompletedElsewhere(UploadTarget target,
                                                               std::vector<UploadedPart> parts,
                                                               absl::Status failure,
                                                               absl::Time deadline) {
  const bool gone = IsNoSuchUpload(failure);
  const std::string what = absl::StrCat("CompleteMultipartUpload of ", target.key,
                                        " found the upload gone (", failure.message(),
                                        ")");
  absl::StatusOr<std::string> expected = MultipartEtag(parts);
  if (!expected.ok() && !gone) co_return failure;
  if (!expected.ok()) {
    co_return absl::UnknownError(absl::StrCat(
        what, " and cannot tell whether an earlier attempt completed it: ",
        expected.status().message()));
  }
  std::uint64_t size = 0;
  for (const UploadedPart& part : parts) size += part.size;
  S3Request head;
  head.operation = "HeadObject";
  head.method = "HEAD";
  head.bucket = target.bucket;
  head.key = target.key;
  head.deadline = deadline;
  absl::StatusOr<HttpResponse> found = co_await target.client->Call(std::move(head));
  if (!found.ok() && !absl::IsNotFound(found.status()) && !gone) co_return failure;
  if (!found.ok() && !absl::IsNotFound(found.status())) {
    co_return absl::UnknownError(absl::StrCat(
        what, "; whether an earlier attempt completed it is unknown, since HEAD failed: ",
        found.status().message()));
  }
  std::string etag, length;
  if (found.ok()) {
    etag = Unquote(found->Header("ETag").value_or(""));
    length = found->Header("Content-Length").value_or("");
  }
  if (found.ok() && absl::EqualsIgnoreCase(etag, *expected) && length == absl::StrCat(size)) {
    co_return etag;  // our parts, whole: the lost answer said success
  }
  if (!gone) co_return failure;  // the failure stands as it was
  co_return absl::AbortedError(absl::StrCat(
      what, ", and the key does not hold these parts (expected ETag ", *expected, " and ", size,
      " bytes, found ", found.ok() ? absl::StrCat("ETag ", etag, ", ", length, " bytes")
                                   : std::string("no object"),
      "): the upload was aborted or replaced; upload again"));
}

Awaitable<absl::Status> AbortMultipartUpload(UploadTarget target, std::string upload_id,
                                             absl::Time deadline) {
  S3Request r = NewRequest(target, "AbortMultipartUpload", "DELETE", std::move(upload_id));
  r.deadline = deadline;
  absl::StatusOr<HttpResponse> response = co_await target.client->Call(std::move(r));
  if (!response.ok() && !IsNoSuchUpload(response.status())) co_return response.status();
  co_return absl::OkStatus();
}

Awaitable<absl::StatusOr<std::vector<UploadedPart>>> ListParts(UploadTarget target,
                                                               std::string upload_id,
                                                               absl::Time deadline) {
  std::vector<UploadedPart> parts;
  int marker = 0;
  while (true) {
    S3Request r = NewRequest(target, "ListParts", "GET", upload_id);
    if (marker > 0) r.query.emplace_back("part-number-marker", absl::StrCat(marker));
    r.deadline = deadline;
    r.check_response = [](const HttpResponse& response) {
      return ParseListParts(response.body).status();
    };
    COHORT_CO_ASSIGN_OR_RETURN(HttpResponse response, co_await target.client->Call(std::move(r)));
    COHORT_CO_ASSIGN_OR_RETURN(ListPartsResult page, ParseListParts(response.body));
    for (ListedPart& p : page.parts) {
      parts.push_back(UploadedPart{p.part_number, Unquote(p.etag), p.size});
    }
    if (!page.is_truncated) break;
    if (page.next_part_number_marker <= marker) {
      co_return absl::UnavailableError("malformed S3 response: ListParts did not advance");
    }
    marker = page.next_part_number_marker;
  }
  co_return parts;
}

// State shared with the part coroutines, which may outlive the scheduler
// once cancelled.
struct PartScheduler::Shared {
  Shared(const Executor& executor, int concurrency) : wakeup(executor, concurrency) {}
  // One message per finished part, only as a wake-up: `finished` is the truth.
  asio::experimental::channel<void(asio::error_code, std::size_t)> wakeup;
  std::vector<std::pair<UploadedPart, absl::Status>> finished;
  std::list<asio::cancellation_signal> signals;
};

namespace {

Awaitable<void> RunPart(std::shared_ptr<PartScheduler::Shared> shared, UploadTarget target,
                        std::string upload_id, int number, PartBody body, PartChecksum checksum,
                        absl::Time deadline);

}  // namespace

PartScheduler::PartScheduler(UploadTarget target, std::string upload_id, SchedulerOptions options,
                             Executor executor)
    : target_(std::move(target)),
      upload_id_(std::move(upload_id)),
      options_(std::move(options)),
      executor_(executor),
      shared_(std::make_shared<Shared>(executor, options_.concurrency)) {}

PartScheduler::~PartScheduler() { CancelAll(); }

void PartScheduler::AddCompleted(UploadedPart part) {
  bytes_done_ += part.size;
  done_.push_back(std::move(part));
}

void PartScheduler::Collect() {
  std::vector<std::pair<UploadedPart, absl::Status>> finished;
  finished.swap(shared_->finished);
  for (auto& [part, status] : finished) {
    --in_flight_;
    if (status.ok() && options_.on_part_done) status = options_.on_part_done(part);
    if (!status.ok()) {
      if (first_error_.ok()) first_error_ = status;
      continue;
    }
    bytes_done_ += part.size;
    done_.push_back(std::move(part));
    if (options_.progress) options_.progress(bytes_done_, options_.total);
  }
}

Awaitable<absl::Status> PartScheduler::WaitForSlot() {
  Collect();
  while (in_flight_ >= options_.concurrency && first_error_.ok()) {
    auto token = asio::experimental::as_tuple(asio::use_awaitable);
    auto [ec, unused] = co_await shared_->wakeup.async_receive(token);
    (void)ec;
    (void)unused;
    Collect();
  }
  co_return first_error_;
}

void PartScheduler::Start(int number, PartBody body) {
  ++in_flight_;
  asio::cancellation_signal& signal = shared_->signals.emplace_back();
  asio::co_spawn(executor_,
                 RunPart(shared_, target_, upload_id_, number, std::move(body), options_.checksum,
                         options_.deadline),
                 asio::bind_cancellation_slot(signal.slot(), asio::detached));
}

void PartScheduler::CancelAll() {
  for (asio::cancellation_signal& s : shared_->signals) s.emit(asio::cancellation_type::terminal);
}

Awaitable<absl::StatusOr<std::vector<UploadedPart>>> PartScheduler::Finish() {
  Collect();
  while (in_flight_ > 0) {
    // The upload failed: no point in finishing the other parts.
    if (!first_error_.ok()) CancelAll();
    auto token = asio::experimental::as_tuple(asio::use_awaitable);
    auto [ec, unused] = co_await shared_->wakeup.async_receive(token);
    (void)ec;
    (void)unused;
    Collect();
  }
  if (!first_error_.ok()) co_return first_error_;
  std::vector<UploadedPart> parts = done_;
  std::sort(parts.begin(), parts.end(),
            [](const UploadedPart& a, const UploadedPart& b) { return a.number < b.number; });
  co_return parts;
}

namespace {

Awaitable<void> RunPart(std::shared_ptr<PartScheduler::Shared> shared, UploadTarget target,
                        std::string upload_id, int number, PartBody body, PartChecksum checksum,
                        absl::Time deadline) {
  const std::uint64_t size = body.bytes.size();
  absl::StatusOr<std::string> etag = co_await UploadPart(
      std::move(target), std::move(upload_id), number, std::move(body), checksum, deadline);
  UploadedPart part{number, etag.ok() ? *etag : std::string(), size};
  shared->finished.emplace_back(std::move(part), etag.status());
  shared->wakeup.try_send(asio::error_code(), std::size_t{0});
}

}  // namespace

}  // namespace cohort::blob::s3
