#include "blob/s3/s3_storage.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/s3_storage_impl.h"
#include "blob/s3/s3_upload.h"
#include "blob/s3/s3_xml.h"
#include "blob/s3/uri_encode.h"
#include "blob/validation.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

constexpr std::string_view kMetaPrefix = "x-amz-meta-";

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// ETags without the double quotes HTTP puts around them, as every backend
// reports them (the hex MD5 for single-part S3 objects).
std::string Unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// The quoted form S3 expects in If-Match.
std::string Quoted(std::string_view etag) { return absl::StrCat("\"", Unquoted(etag), "\""); }

BlobAttributes AttributesFromHeaders(std::string key, const HttpResponse& r) {
  BlobAttributes a;
  a.key = std::move(key);
  if (auto length = r.Header("Content-Length")) (void)absl::SimpleAtoi(*length, &a.size);
  a.etag = Unquoted(r.Header("ETag").value_or(""));
  if (auto modified = r.Header("Last-Modified")) {
    if (absl::StatusOr<absl::Time> t = ParseS3Time(*modified); t.ok()) a.modified = *t;
  }
  a.content_type =
      r.Header("Content-Type").value_or(std::string(internal::kDefaultContentType));
  for (const HttpHeader& h : r.headers) {
    std::string name = absl::AsciiStrToLower(h.name);
    if (absl::StartsWith(name, AV(kMetaPrefix))) {
      a.metadata[name.substr(kMetaPrefix.size())] = h.value;
    }
  }
  return a;
}

std::string RangeHeader(std::uint64_t begin, std::optional<std::uint64_t> length) {
  if (!length) return absl::StrCat("bytes=", begin, "-");
  return absl::StrCat("bytes=", begin, "-", begin + *length - 1);
}

void AddConditions(const PutOptions& options, S3Request& r) {
  if (options.if_absent) {
    r.headers.push_back({"If-None-Match", "*"});
    // A retry after a lost response would find our own write and fail.
    r.idempotency = Idempotency::kNonIdempotent;
  }
  if (options.if_match) r.headers.push_back({"If-Match", Quoted(*options.if_match)});
}

}  // namespace

absl::Status S3Storage::ConditionalWriteStatus(const PutOptions& options, absl::Status status) {
  if (options.if_absent && absl::IsFailedPrecondition(status)) {
    return absl::AlreadyExistsError(status.message());
  }
  return status;
}

Awaitable<absl::Status> S3Storage::ExplainedWriteStatus(std::string key, PutOptions options,
                                                        absl::Status status) {
  status = ConditionalWriteStatus(options, std::move(status));
  if (!options.if_match || !absl::IsFailedPrecondition(status)) co_return status;
  // S3's 412 does not say what the object is now; a caller deciding whether
  // to re-read wants to know (the ETag may already have changed again).
  absl::StatusOr<BlobAttributes> now = co_await Stat(key);
  const std::string current = now.ok() ? now->etag : std::string(now.status().message());
  co_return absl::FailedPreconditionError(absl::StrCat("\"", key, "\" has ETag ", current,
                                                       ", not ", *options.if_match, " (",
                                                       status.message(), ")"));
}

std::vector<HttpHeader> S3Storage::ObjectHeaders(const internal::StoredHeaders& stored) {
  std::vector<HttpHeader> headers;
  headers.push_back({"Content-Type", stored.content_type});
  for (const auto& [name, value] : stored.metadata) {
    headers.push_back({absl::StrCat(AV(kMetaPrefix), name), value});
  }
  return headers;
}

std::vector<HttpHeader> S3Storage::Conditions(const PutOptions& options) {
  S3Request r;
  AddConditions(options, r);
  return std::move(r.headers);
}

SchedulerOptions S3Storage::Scheduler(absl::Time deadline, std::uint64_t total,
                                      ProgressCallback progress) const {
  SchedulerOptions s;
  s.concurrency = options_.upload_concurrency;
  s.checksum = options_.part_checksum;
  s.deadline = deadline;
  s.total = total;
  s.progress = std::move(progress);
  return s;
}

S3Storage::S3Storage(S3Options options, std::shared_ptr<S3Client> client,
                     std::shared_ptr<RecordingProvider> credentials, const Context& ctx)
    : options_(std::move(options)), client_(std::move(client)),
      credentials_(std::move(credentials)), clock_(ctx.clock), executor_(ctx.executor) {}

S3Request S3Storage::Request(const char* operation, const char* method,
                             std::string_view key) const {
  S3Request r;
  r.operation = operation;
  r.method = method;
  r.bucket = options_.bucket;
  r.key = std::string(key);
  return r;
}

Awaitable<absl::StatusOr<BlobAttributes>> S3Storage::Put(std::string_view key,
                                                         std::string_view data,
                                                         const PutOptions& options) {
  if (data.size() <= options_.multipart_threshold) {
    // One request, which owns a copy of the body.
    co_return co_await PutOwned(std::string(key), std::string(data), options);
  }
  COHORT_CO_ASSIGN_OR_RETURN(internal::StoredHeaders stored, CheckWrite(key, options, "Put"));
  MultipartPlan plan;
  plan.total = data.size();
  COHORT_CO_ASSIGN_OR_RETURN(plan.part_size, ChoosePartSize(options_.part_size, data.size()));
  plan.object_headers = ObjectHeaders(stored);
  plan.conditions = Conditions(options);
  plan.scheduler = Scheduler(options.deadline, data.size(), options.progress);
  // Parts are copies: the caller keeps `data` alive only until Put
  // returns, and a part cancelled with its upload may still be sending
  // then.
  PartReader read = [data](PartRequest request) -> Awaitable<absl::StatusOr<PartBody>> {
    auto copy = [&](char* dest, std::uint64_t at, std::size_t n) {
      std::memcpy(dest, data.data() + request.offset + at, n);
      return absl::OkStatus();
    };
    co_return FillPart(*request.pool, request.size, request.digests, copy);
  };
  absl::StatusOr<std::string> done =
      co_await RunMultipartUpload(Target(key), std::move(plan), std::move(read));
  if (!done.ok()) {
    co_return co_await ExplainedWriteStatus(std::string(key), options, done.status());
  }
  co_return PutAttributes(key, data.size(), *std::move(done), std::move(stored), options);
}

Awaitable<absl::StatusOr<BlobAttributes>> S3Storage::PutOwned(std::string key, std::string data,
                                                              PutOptions options) {
  if (data.size() > options_.multipart_threshold) co_return co_await Put(key, data, options);
  COHORT_CO_ASSIGN_OR_RETURN(internal::StoredHeaders stored, CheckWrite(key, options, "Put"));
  const std::uint64_t size = data.size();
  S3Request r = Request("PutObject", "PUT", key);
  r.body = std::move(data);
  r.headers = ObjectHeaders(stored);
  AddConditions(options, r);
  r.deadline = options.deadline;
  absl::StatusOr<HttpResponse> response = co_await client_->Call(std::move(r));
  if (!response.ok()) {
    co_return co_await ExplainedWriteStatus(key, options, response.status());
  }
  co_return PutAttributes(key, size, Unquoted(response->Header("ETag").value_or("")),
                          std::move(stored), options);
}

absl::StatusOr<internal::StoredHeaders> S3Storage::CheckWrite(std::string_view key,
                                                             const PutOptions& options,
                                                             const char* operation) const {
  COHORT_RETURN_IF_ERROR(internal::ValidateKey(key));
  COHORT_RETURN_IF_ERROR(internal::ValidateConditions(options));
  COHORT_ASSIGN_OR_RETURN(internal::StoredHeaders stored, internal::NormalizeHeaders(options));
  COHORT_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, *clock_, operation));
  return stored;
}

BlobAttributes S3Storage::PutAttributes(std::string_view key, std::uint64_t size,
                                        std::string etag, internal::StoredHeaders stored,
                                        const PutOptions& options) const {
  BlobAttributes a;
  a.key = std::string(key);
  a.size = size;
  a.etag = std::move(etag);
  // PutObject answers no Last-Modified; the server's time is in Stat/List.
  a.modified = clock_->Now();
  a.content_type = std::move(stored.content_type);
  a.metadata = std::move(stored.metadata);
  if (options.progress) options.progress(a.size, a.size);
  return a;
}

Awaitable<absl::StatusOr<std::unique_ptr<BlobWriter>>> S3Storage::OpenWriter(
    std::string_view key, const PutOptions& options) {
  COHORT_CO_ASSIGN_OR_RETURN(internal::StoredHeaders stored,
                             CheckWrite(key, options, "OpenWriter"));
  co_return std::unique_ptr<BlobWriter>(
      new S3Writer(this, std::string(key), options, std::move(stored)));
}

Awaitable<absl::StatusOr<std::string>> S3Storage::Get(std::string_view key,
                                                      const GetOptions& options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
  COHORT_CO_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, *clock_, "Get"));
  if (options.range && options.range->length && *options.range->length == 0) {
    co_return internal::ResolveRange(options.range, options.range->offset).status();
  }
  S3Request r = Request("GetObject", "GET", key);
  // "bytes=0-" is the whole object: sent as a plain GET, which also serves an
  // empty object (S3 answers 416 to any range of one; s3rver fails).
  if (options.range && (options.range->offset > 0 || options.range->length)) {
    r.headers.push_back({"Range", RangeHeader(options.range->offset, options.range->length)});
  }
  if (options.if_match) r.headers.push_back({"If-Match", Quoted(*options.if_match)});
  r.deadline = options.deadline;
  absl::StatusOr<HttpResponse> response = co_await client_->Call(std::move(r));
  if (!response.ok()) {
    // S3 refuses a range starting at the very end (416); the interface allows
    // it (an empty read) and refuses only ranges past the end.
    if (options.range && absl::IsInvalidArgument(response.status())) {
      absl::StatusOr<BlobAttributes> stat = co_await Stat(key);
      if (stat.ok()) {
        COHORT_CO_RETURN_IF_ERROR(internal::ResolveRange(options.range, stat->size).status());
        co_return std::string();
      }
    }
    co_return response.status();
  }
  // Servers without If-Match on GET (s3rver) are checked here instead.
  if (options.if_match &&
      !internal::EtagMatches(response->Header("ETag").value_or(""), *options.if_match)) {
    co_return absl::FailedPreconditionError(absl::StrCat(
        "\"", AV(key), "\" has ETag ", Unquoted(response->Header("ETag").value_or("?")), ", not ",
        *options.if_match));
  }
  if (options.progress) options.progress(response->body.size(), response->body.size());
  co_return std::move(response->body);
}

Awaitable<absl::StatusOr<std::unique_ptr<BlobReader>>> S3Storage::OpenReader(
    std::string_view key, const GetOptions& options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
  COHORT_CO_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, *clock_, "OpenReader"));
  COHORT_CO_ASSIGN_OR_RETURN(BlobAttributes attributes, co_await Stat(key));
  if (options.if_match && !internal::EtagMatches(attributes.etag, *options.if_match)) {
    co_return absl::FailedPreconditionError(absl::StrCat(
        "\"", AV(key), "\" has ETag ", attributes.etag, ", not ", *options.if_match));
  }
  COHORT_CO_ASSIGN_OR_RETURN(auto interval, internal::ResolveRange(options.range, attributes.size));
  auto reader = std::make_unique<S3Reader>(this, std::move(attributes), interval.first,
                                           interval.second, options.deadline, options.progress);
  // The first chunk now, so that a reader of an object smaller than a chunk
  // keeps the version it opened whatever happens to the key later.
  COHORT_CO_RETURN_IF_ERROR(co_await reader->Prefetch());
  co_return std::unique_ptr<BlobReader>(std::move(reader));
}

Awaitable<absl::StatusOr<BlobAttributes>> S3Storage::Stat(std::string_view key) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
  S3Request r = Request("HeadObject", "HEAD", key);
  absl::StatusOr<HttpResponse> response = co_await client_->Call(std::move(r));
  if (!response.ok()) co_return response.status();
  co_return AttributesFromHeaders(std::string(key), *response);
}

Awaitable<absl::Status> S3Storage::Delete(std::string_view key) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
  S3Request r = Request("DeleteObject", "DELETE", key);
  absl::StatusOr<HttpResponse> response = co_await client_->Call(std::move(r));
  if (!response.ok() && !absl::IsNotFound(response.status())) co_return response.status();
  co_return absl::OkStatus();
}

Awaitable<absl::StatusOr<BlobAttributes>> S3Storage::Copy(std::string_view from,
                                                          std::string_view to,
                                                          const PutOptions& options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(from));
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(to));
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateCopyOptions(options, *clock_));
  S3Request r = Request("CopyObject", "PUT", to);
  r.headers.push_back(
      {"x-amz-copy-source", UriEncode(absl::StrCat("/", options_.bucket, "/", AV(from)), true)});
  if (from == to) {
    // S3 refuses to copy an object onto itself unchanged; the interface
    // allows it (a new modification time). Replace the headers with their
    // own values, from the version that the copy-source condition pins.
    COHORT_CO_ASSIGN_OR_RETURN(BlobAttributes source, co_await Stat(from));
    internal::StoredHeaders same;
    same.content_type = source.content_type;
    same.metadata = source.metadata;
    for (HttpHeader& h : ObjectHeaders(same)) r.headers.push_back(std::move(h));
    r.headers.push_back({"x-amz-metadata-directive", "REPLACE"});
    r.headers.push_back({"x-amz-copy-source-if-match", Quoted(source.etag)});
  }
  AddConditions(options, r);
  r.deadline = options.deadline;
  absl::StatusOr<HttpResponse> response = co_await client_->Call(std::move(r));
  if (!response.ok()) {
    co_return co_await ExplainedWriteStatus(std::string(to), options, response.status());
  }
  COHORT_CO_RETURN_IF_ERROR(ParseCopyObjectResult(*response).status());
  co_return co_await Stat(to);
}

absl::StatusOr<std::string> S3Storage::PresignUrl(std::string_view key,
                                                  const PresignOptions& options) {
  COHORT_RETURN_IF_ERROR(internal::ValidateKey(key));
  std::optional<Credentials> credentials = credentials_->last();
  if (!credentials) {
    return absl::FailedPreconditionError(
        "no AWS credentials fetched yet; presigning needs one completed S3 call first");
  }
  std::vector<HttpHeader> headers;
  if (options.method == PresignMethod::kPut && !options.content_type.empty()) {
    headers.push_back({"Content-Type", options.content_type});
  }
  return client_->Presign(options.method == PresignMethod::kGet ? "GET" : "PUT", options_.bucket,
                          std::string(key), std::move(headers), options.expires_in,
                          *credentials);
}

Awaitable<absl::StatusOr<std::string>> S3Storage::FetchChunk(std::string key, std::string etag,
                                                             std::uint64_t begin,
                                                             std::uint64_t end,
                                                             absl::Time deadline) {
  S3Request r = Request("GetObject", "GET", key);
  r.headers.push_back({"Range", RangeHeader(begin, end - begin)});
  r.headers.push_back({"If-Match", Quoted(etag)});
  r.deadline = deadline;
  COHORT_CO_ASSIGN_OR_RETURN(HttpResponse response, co_await client_->Call(std::move(r)));
  if (!internal::EtagMatches(response.Header("ETag").value_or(""), etag)) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("\"", key, "\" changed while being read"));
  }
  if (response.body.size() != end - begin) {
    co_return absl::UnavailableError(absl::StrCat("GetObject of \"", key, "\" returned ",
                                                  response.body.size(), " bytes, expected ",
                                                  end - begin));
  }
  co_return std::move(response.body);
}

}  // namespace cohort::blob::s3

namespace cohort::blob {

absl::StatusOr<std::unique_ptr<BlobStorage>> OpenS3(const S3Options& options,
                                                    const Context& ctx) {
  if (options.bucket.empty()) {
    return absl::InvalidArgumentError("S3Options::bucket must be set");
  }
  if (options.read_chunk_size < 1) {
    return absl::InvalidArgumentError("read_chunk_size must be >= 1");
  }
  if (options.multipart_threshold < 1 || options.multipart_threshold > s3::kMaxPartSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "multipart_threshold must be in [1, 5 GiB], got ", options.multipart_threshold));
  }
  COHORT_RETURN_IF_ERROR(s3::ChoosePartSize(options.part_size, 0).status());
  if (options.upload_concurrency < 1 || options.upload_concurrency > 64) {
    return absl::InvalidArgumentError(absl::StrCat("upload_concurrency must be in [1, 64], got ",
                                                   options.upload_concurrency));
  }
  std::shared_ptr<s3::CredentialsProvider> provider = options.credentials;
  if (provider == nullptr) {
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<s3::CredentialsProvider> chain,
                            s3::NewDefaultCredentialsChain(options.credentials_chain, ctx));
    provider = std::move(chain);
  }
  auto recording = std::make_shared<s3::RecordingProvider>(std::move(provider));
  s3::S3ClientOptions client_options = options.client;
  client_options.endpoint = options.endpoint;
  client_options.region = options.region;
  client_options.path_style = options.path_style;
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<s3::S3Client> client,
                          s3::S3Client::Create(std::move(client_options), recording, ctx));
  return std::unique_ptr<BlobStorage>(
      new s3::S3Storage(options, std::move(client), std::move(recording), ctx));
}

}  // namespace cohort::blob
