// The classes behind OpenS3 (s3_storage.h), shared by s3_storage.cc (the
// BlobStorage calls) and s3_streams.cc (BlobReader and BlobWriter).
#ifndef COHORT_SRC_BLOB_S3_S3_STORAGE_IMPL_H_
#define COHORT_SRC_BLOB_S3_S3_STORAGE_IMPL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "blob/s3/credentials_provider.h"
#include "blob/s3/s3_client.h"
#include "blob/s3/s3_storage.h"
#include "blob/s3/s3_multipart.h"
#include "blob/validation.h"
#include "cohort/blob/blob_storage.h"
#include "cohort/blob/transfer.h"

namespace cohort::blob::s3 {

// Remembers the last credentials handed out, so that PresignUrl (which is
// synchronous) can sign with them.
class RecordingProvider final : public CredentialsProvider {
 public:
  explicit RecordingProvider(std::shared_ptr<CredentialsProvider> inner)
      : inner_(std::move(inner)) {}
  Awaitable<absl::StatusOr<Credentials>> GetCredentials() override;
  std::optional<Credentials> last() const;

 private:
  std::shared_ptr<CredentialsProvider> inner_;
  mutable absl::Mutex mu_;
  std::optional<Credentials> last_ ABSL_GUARDED_BY(mu_);
};

// Thread-safety: as BlobStorage; all state is immutable after construction
// except inside the client and the credentials provider, which lock.
class S3Storage final : public BlobStorage {
 public:
  S3Storage(S3Options options, std::shared_ptr<S3Client> client,
            std::shared_ptr<RecordingProvider> credentials, const Context& ctx);

  Awaitable<absl::StatusOr<BlobAttributes>> Put(std::string_view key, std::string_view data,
                                                const PutOptions& options) override;
  // Put of a body the request may own (no copy when it goes in one request).
  Awaitable<absl::StatusOr<BlobAttributes>> PutOwned(std::string key, std::string data,
                                                     PutOptions options);
  Awaitable<absl::StatusOr<std::unique_ptr<BlobWriter>>> OpenWriter(
      std::string_view key, const PutOptions& options) override;
  Awaitable<absl::StatusOr<std::string>> Get(std::string_view key,
                                             const GetOptions& options) override;
  Awaitable<absl::StatusOr<std::unique_ptr<BlobReader>>> OpenReader(
      std::string_view key, const GetOptions& options) override;
  Awaitable<absl::StatusOr<BlobAttributes>> Stat(std::string_view key) override;
  Awaitable<absl::Status> Delete(std::string_view key) override;
  Awaitable<absl::StatusOr<ListPage>> List(const ListOptions& options) override;
  Awaitable<absl::StatusOr<BlobAttributes>> Copy(std::string_view from, std::string_view to,
                                                 const PutOptions& options) override;
  absl::StatusOr<std::string> PresignUrl(std::string_view key,
                                         const PresignOptions& options) override;

  // Bytes [begin, end) of the version `etag` of `key` (a BlobReader's chunk).
  Awaitable<absl::StatusOr<std::string>> FetchChunk(std::string key, std::string etag,
                                                    std::uint64_t begin, std::uint64_t end,
                                                    absl::Time deadline);
  std::size_t read_chunk_size() const { return options_.read_chunk_size; }

  const S3Options& options() const { return options_; }
  Clock* clock() const { return clock_; }
  // The Context's executor, for work that outlives a writer.
  const Executor& client_executor() const { return executor_; }
  UploadTarget Target(std::string_view key) const {
    return UploadTarget{client_, options_.bucket, std::string(key)};
  }
  // Content-Type and x-amz-meta-* of a new object.
  static std::vector<HttpHeader> ObjectHeaders(const internal::StoredHeaders& stored);
  // If-None-Match / If-Match for `options`.
  static std::vector<HttpHeader> Conditions(const PutOptions& options);
  // The status of a failed conditional write.
  static absl::Status ConditionalWriteStatus(const PutOptions& options, absl::Status status);
  // As ConditionalWriteStatus, and for a failed if_match names the key's
  // current ETag (one HEAD).
  Awaitable<absl::Status> ExplainedWriteStatus(std::string key, PutOptions options,
                                               absl::Status status);
  // The checks of a write of `key` (`operation` names it in the deadline's
  // message) and the object's stored headers.
  absl::StatusOr<internal::StoredHeaders> CheckWrite(std::string_view key,
                                                     const PutOptions& options,
                                                     const char* operation) const;
  // What Put returns for an object it wrote.
  BlobAttributes PutAttributes(std::string_view key, std::uint64_t size, std::string etag,
                               internal::StoredHeaders stored, const PutOptions& options) const;
  // The SchedulerOptions of this storage's uploads.
  SchedulerOptions Scheduler(absl::Time deadline, std::uint64_t total,
                             ProgressCallback progress) const;

  // UploadFile's S3 fast path (transfer.h).
  Awaitable<absl::StatusOr<BlobAttributes>> UploadFile(std::string path, std::string key,
                                                       TransferOptions options);

 private:
  S3Request Request(const char* operation, const char* method, std::string_view key) const;

  const S3Options options_;
  std::shared_ptr<S3Client> client_;
  std::shared_ptr<RecordingProvider> credentials_;
  Clock* clock_;
  Executor executor_;
};

// Single-consumer, as BlobReader; must not outlive its S3Storage.
class S3Reader final : public BlobReader {
 public:
  S3Reader(S3Storage* storage, BlobAttributes attributes, std::uint64_t begin, std::uint64_t end,
           absl::Time deadline, ProgressCallback progress)
      : storage_(storage), attributes_(std::move(attributes)), next_(begin), end_(end),
        deadline_(deadline), total_(end - begin), progress_(std::move(progress)) {}
  const BlobAttributes& attributes() const override { return attributes_; }
  Awaitable<absl::StatusOr<std::size_t>> Read(std::span<std::byte> buffer) override;
  // Fetches the first chunk (pinned to the opened ETag). Without bucket
  // versioning S3 keeps no old version: a reader holds the version it opened
  // for the bytes it already fetched, and a later chunk of a replaced object
  // fails with kFailedPrecondition instead of mixing versions.
  Awaitable<absl::Status> Prefetch();

 private:
  S3Storage* storage_;
  BlobAttributes attributes_;
  std::uint64_t next_;  // next byte of the object to fetch
  std::uint64_t end_;   // one past the last byte to read
  absl::Time deadline_;
  std::uint64_t total_;  // bytes of the range
  std::uint64_t delivered_ = 0;
  ProgressCallback progress_;
  std::string chunk_;
  std::size_t chunk_pos_ = 0;
};

// Buffers up to the multipart threshold; beyond it, sends parts as they
// fill (see s3_storage.h). Single-consumer; must not outlive its S3Storage.
class S3Writer final : public BlobWriter {
 public:
  S3Writer(S3Storage* storage, std::string key, PutOptions options,
           internal::StoredHeaders stored)
      : storage_(storage), key_(std::move(key)), options_(std::move(options)),
        stored_(std::move(stored)) {}
  // Aborts a multipart upload left open (in the background).
  ~S3Writer() override;
  Awaitable<absl::Status> Write(std::span<const std::byte> data) override;
  Awaitable<absl::StatusOr<BlobAttributes>> Commit() override;
  Awaitable<absl::Status> Abort() override;

 private:
  // Sends whole parts out of buffer_ (starting the upload first if needed).
  Awaitable<absl::Status> Flush(bool final);
  Awaitable<absl::Status> Fail(absl::Status cause);

  S3Storage* storage_;
  std::string key_;
  PutOptions options_;
  internal::StoredHeaders stored_;
  std::string buffer_;
  std::uint64_t written_ = 0;
  int next_part_ = 1;
  std::unique_ptr<PartScheduler> scheduler_;  // once the upload started
  bool closed_ = false;
};

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_S3_STORAGE_IMPL_H_
