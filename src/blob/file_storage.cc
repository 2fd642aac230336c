// file://: the coroutine face of FileStore. Arguments are validated on the
// caller's thread (cheap, no I/O); every file system call runs on the store's
// pool through Offload, and the caller resumes on its own executor.
//
// The jobs capture pointers and views only: the caller's arguments live until
// the awaitable completes (the interface's contract), and the FileStore lives
// until the storage is destroyed, which joins the pool.
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "blob/file_keys.h"
#include "blob/file_store.h"
#include "blob/file_transfer.h"
#include "blob/listing.h"
#include "blob/offload.h"
#include "blob/strings.h"
#include "blob/validation.h"
#include "cohort/base/status.h"
#include "cohort/blob/local.h"

namespace cohort::blob {
namespace {

using internal::FileStore;
using internal::Offload;
using internal::OpenedObject;
using internal::StoredHeaders;
using internal::TempObject;

// An open object and the byte interval of it to read.
struct Selected {
  OpenedObject object;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

class FileBlobStorage final : public BlobStorage {
 public:
  explicit FileBlobStorage(std::unique_ptr<FileStore> store) : store_(std::move(store)) {}

  Awaitable<absl::StatusOr<BlobAttributes>> Put(std::string_view key, std::string_view data,
                                                const PutOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(StoredHeaders headers, PreparePut(key, options, "Put"));
    FileStore* store = store_.get();
    const StoredHeaders* h = &headers;
    auto job = [store, key, data, h, &options]() { return store->PutAll(key, data, *h, options); };
    auto op = Offload(store->pool(), job);
    absl::StatusOr<BlobAttributes> result = co_await std::move(op);
    if (result.ok() && options.progress) options.progress(data.size(), data.size());
    co_return result;
  }

  Awaitable<absl::StatusOr<std::unique_ptr<BlobWriter>>> OpenWriter(
      std::string_view key, const PutOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(StoredHeaders headers, PreparePut(key, options, "OpenWriter"));
    FileStore* store = store_.get();
    auto job = [store, key]() { return store->CreateTemp(key); };
    auto op = Offload(store->pool(), job);
    COHORT_CO_ASSIGN_OR_RETURN(TempObject temp, co_await std::move(op));
    co_return internal::NewFileWriter(store, std::string(key), options, std::move(headers),
                                      std::move(temp));
  }

  Awaitable<absl::StatusOr<std::string>> Get(std::string_view key,
                                             const GetOptions& options) override {
    COHORT_CO_RETURN_IF_ERROR(PrepareGet(key, options, "Get"));
    FileStore* store = store_.get();
    auto job = [store, key, &options]() -> absl::StatusOr<std::string> {
      COHORT_ASSIGN_OR_RETURN(Selected s, Select(*store, key, options));
      return store->ReadRange(s.object.fd.get(), s.begin, s.end, key);
    };
    auto op = Offload(store->pool(), job);
    absl::StatusOr<std::string> result = co_await std::move(op);
    if (result.ok() && options.progress) options.progress(result->size(), result->size());
    co_return result;
  }

  Awaitable<absl::StatusOr<std::unique_ptr<BlobReader>>> OpenReader(
      std::string_view key, const GetOptions& options) override {
    COHORT_CO_RETURN_IF_ERROR(PrepareGet(key, options, "OpenReader"));
    FileStore* store = store_.get();
    auto job = [store, key, &options]() { return Select(*store, key, options); };
    auto op = Offload(store->pool(), job);
    COHORT_CO_ASSIGN_OR_RETURN(Selected s, co_await std::move(op));
    co_return internal::NewFileReader(store, std::move(s.object), s.begin, s.end,
                                      options.progress);
  }

  Awaitable<absl::StatusOr<BlobAttributes>> Stat(std::string_view key) override {
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateFileKey(key));
    FileStore* store = store_.get();
    auto job = [store, key]() -> absl::StatusOr<BlobAttributes> {
      COHORT_ASSIGN_OR_RETURN(OpenedObject object, store->OpenObject(key));
      return std::move(object.attributes);
    };
    auto op = Offload(store->pool(), job);
    co_return co_await std::move(op);
  }

  Awaitable<absl::Status> Delete(std::string_view key) override {
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateFileKey(key));
    FileStore* store = store_.get();
    auto job = [store, key]() { return store->Delete(key); };
    auto op = Offload(store->pool(), job);
    co_return co_await std::move(op);
  }

  Awaitable<absl::StatusOr<ListPage>> List(const ListOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(auto acc, internal::ListAccumulator::Create(options));
    COHORT_CO_RETURN_IF_ERROR(
        internal::CheckDeadline(options.deadline, store_->clock(), "List"));
    FileStore* store = store_.get();
    auto* acc_ptr = &acc;
    auto job = [store, acc_ptr]() { return store->List(std::move(*acc_ptr)); };
    auto op = Offload(store->pool(), job);
    co_return co_await std::move(op);
  }

  Awaitable<absl::StatusOr<BlobAttributes>> Copy(std::string_view from, std::string_view to,
                                                 const PutOptions& options) override {
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateFileKey(from));
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateFileKey(to));
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateCopyOptions(options, store_->clock()));
    FileStore* store = store_.get();
    auto job = [store, from, to, &options]() { return store->Copy(from, to, options); };
    auto op = Offload(store->pool(), job);
    absl::StatusOr<BlobAttributes> result = co_await std::move(op);
    if (result.ok() && options.progress) options.progress(result->size, result->size);
    co_return result;
  }

  absl::StatusOr<std::string> PresignUrl(std::string_view /*key*/,
                                         const PresignOptions& /*options*/) override {
    return absl::UnimplementedError("file:// has no presigned URLs");
  }

 private:
  absl::StatusOr<StoredHeaders> PreparePut(std::string_view key, const PutOptions& options,
                                           std::string_view what) const {
    COHORT_RETURN_IF_ERROR(internal::ValidateFileKey(key));
    COHORT_RETURN_IF_ERROR(internal::ValidateConditions(options));
    COHORT_ASSIGN_OR_RETURN(StoredHeaders headers, internal::NormalizeHeaders(options));
    COHORT_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, store_->clock(), what));
    return headers;
  }

  absl::Status PrepareGet(std::string_view key, const GetOptions& options,
                          std::string_view what) const {
    COHORT_RETURN_IF_ERROR(internal::ValidateFileKey(key));
    return internal::CheckDeadline(options.deadline, store_->clock(), what);
  }

  // Runs on the pool: opens the object, checks if_match against the version
  // opened, and resolves the range against its size.
  static absl::StatusOr<Selected> Select(FileStore& store, std::string_view key,
                                         const GetOptions& options) {
    Selected s;
    COHORT_ASSIGN_OR_RETURN(s.object, store.OpenObject(key));
    const BlobAttributes& attributes = s.object.attributes;
    if (options.if_match.has_value() &&
        !internal::EtagMatches(attributes.etag, *options.if_match)) {
      return absl::FailedPreconditionError(absl::StrCat("blob \"", internal::Av(key), "\" has ETag ",
                                                        attributes.etag, ", not the expected ",
                                                        *options.if_match));
    }
    COHORT_ASSIGN_OR_RETURN(auto range, internal::ResolveRange(options.range, attributes.size));
    s.begin = range.first;
    s.end = range.second;
    return s;
  }

  std::unique_ptr<FileStore> store_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlobStorage>> OpenFileBlobStorage(const std::string& root,
                                                                 const FileBlobOptions& options,
                                                                 const Context& ctx) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<FileStore> store, FileStore::Open(root, options, ctx));
  return std::make_unique<FileBlobStorage>(std::move(store));
}

}  // namespace cohort::blob
