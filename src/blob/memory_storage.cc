// mem://: objects in a map under one mutex. Each stored version's bytes are
// immutable and shared, so a reader keeps the version it opened while writers
// replace the key, and Get copies outside the lock.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "blob/digest.h"
#include "blob/listing.h"
#include "blob/strings.h"
#include "blob/validation.h"
#include "cohort/base/status.h"
#include "cohort/blob/local.h"

namespace cohort::blob {
namespace {

using internal::Av;

struct StoredObject {
  std::shared_ptr<const std::string> data;
  BlobAttributes attributes;
};

absl::Status NotFound(std::string_view key, std::string_view store) {
  return absl::NotFoundError(
      absl::StrCat("no blob with key \"", Av(key), "\" in mem://", Av(store)));
}

absl::Status EtagMismatch(std::string_view key, std::string_view want, std::string_view have) {
  return absl::FailedPreconditionError(absl::StrCat("blob \"", Av(key), "\" has ETag ",
                                                    Av(have), ", not the expected ", Av(want)));
}

// The shared state; writers hold it by shared_ptr so that a writer outliving
// its storage (a contract violation) does not touch freed memory.
class MemoryState {
 public:
  MemoryState(Clock* clock, std::string name) : clock_(clock), name_(std::move(name)) {}

  Clock& clock() const { return *clock_; }

  absl::StatusOr<BlobAttributes> Store(std::string_view key, std::string data,
                                       const PutOptions& options,
                                       const internal::StoredHeaders& headers) {
    StoredObject object;
    object.attributes.key = std::string(key);
    object.attributes.size = data.size();
    object.attributes.etag = internal::Md5Hex(data);
    object.attributes.content_type = headers.content_type;
    object.attributes.metadata = headers.metadata;
    object.data = std::make_shared<const std::string>(std::move(data));
    return Install(std::move(object), options);
  }

  absl::StatusOr<BlobAttributes> Install(StoredObject object, const PutOptions& options) {
    absl::MutexLock lock(&mu_);
    const std::string& key = object.attributes.key;
    auto it = objects_.find(key);
    if (options.if_absent && it != objects_.end()) {
      return absl::AlreadyExistsError(absl::StrCat("blob \"", key, "\" already exists"));
    }
    if (options.if_match.has_value()) {
      if (it == objects_.end()) return NotFound(key, name_);
      if (!internal::EtagMatches(it->second.attributes.etag, *options.if_match)) {
        return EtagMismatch(key, *options.if_match, it->second.attributes.etag);
      }
    }
    object.attributes.modified = clock_->Now();
    BlobAttributes result = object.attributes;
    objects_.insert_or_assign(key, std::move(object));
    return result;
  }

  absl::StatusOr<StoredObject> Find(std::string_view key) const {
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFound(key, name_);
    return it->second;
  }

  void Erase(std::string_view key) {
    absl::MutexLock lock(&mu_);
    if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
  }

  ListPage List(internal::ListAccumulator acc) const {
    absl::MutexLock lock(&mu_);
    for (auto it = objects_.lower_bound(acc.start()); it != objects_.end(); ++it) {
      if (!std::string_view(it->first).starts_with(acc.prefix())) break;
      const auto action = acc.Offer(it->first);
      if (action == internal::ListAccumulator::Action::kDone) break;
      if (action == internal::ListAccumulator::Action::kAddEntry) {
        acc.AddEntry(it->second.attributes);
      }
    }
    return std::move(acc).Finish();
  }

 private:
  Clock* const clock_;
  const std::string name_;
  mutable absl::Mutex mu_;
  std::map<std::string, StoredObject, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
};

class MemoryReader final : public BlobReader {
 public:
  MemoryReader(StoredObject object, std::uint64_t begin, std::uint64_t end, ProgressCallback progress)
      : object_(std::move(object)), pos_(begin), begin_(begin), end_(end),
        progress_(std::move(progress)) {}

  const BlobAttributes& attributes() const override { return object_.attributes; }

  Awaitable<absl::StatusOr<std::size_t>> Read(std::span<std::byte> buffer) override {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end_ - pos_));
    if (n > 0) std::memcpy(buffer.data(), object_.data->data() + pos_, n);
    pos_ += n;
    if (progress_ && n > 0) progress_(pos_ - begin_, end_ - begin_);
    co_return n;
  }

 private:
  StoredObject object_;
  std::uint64_t pos_;
  const std::uint64_t begin_;
  const std::uint64_t end_;
  ProgressCallback progress_;
};

class MemoryWriter final : public BlobWriter {
 public:
  MemoryWriter(std::shared_ptr<MemoryState> state, std::string key, PutOptions options,
               internal::StoredHeaders headers)
      : state_(std::move(state)), key_(std::move(key)), options_(std::move(options)),
        headers_(std::move(headers)) {}

  Awaitable<absl::Status> Write(std::span<const std::byte> data) override {
    if (done_) co_return Finished();
    buffer_.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (options_.progress) options_.progress(buffer_.size(), 0);
    co_return absl::OkStatus();
  }

  Awaitable<absl::StatusOr<BlobAttributes>> Commit() override {
    if (done_) co_return Finished();
    done_ = true;
    COHORT_CO_RETURN_IF_ERROR(
        internal::CheckDeadline(options_.deadline, state_->clock(), "BlobWriter::Commit"));
    co_return state_->Store(key_, std::move(buffer_), options_, headers_);
  }

  Awaitable<absl::Status> Abort() override {
    done_ = true;
    std::string().swap(buffer_);
    co_return absl::OkStatus();
  }

 private:
  absl::Status Finished() const {
    return absl::FailedPreconditionError(
        absl::StrCat("the writer for \"", key_, "\" was already committed or aborted"));
  }

  std::shared_ptr<MemoryState> state_;
  const std::string key_;
  const PutOptions options_;
  const internal::StoredHeaders headers_;
  std::string buffer_;
  bool done_ = false;
};

class MemoryBlobStorage final : public BlobStorage {
 public:
  explicit MemoryBlobStorage(std::shared_ptr<MemoryState> state) : state_(std::move(state)) {}

  Awaitable<absl::StatusOr<BlobAttributes>> Put(std::string_view key, std::string_view data,
                                                const PutOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(auto headers, PreparePut(key, options, "Put"));
    auto result = state_->Store(key, std::string(data), options, headers);
    if (result.ok() && options.progress) options.progress(data.size(), data.size());
    co_return result;
  }

  Awaitable<absl::StatusOr<std::unique_ptr<BlobWriter>>> OpenWriter(
      std::string_view key, const PutOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(auto headers, PreparePut(key, options, "OpenWriter"));
    co_return std::make_unique<MemoryWriter>(state_, std::string(key), options,
                                             std::move(headers));
  }

  Awaitable<absl::StatusOr<std::string>> Get(std::string_view key,
                                             const GetOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(auto found, Lookup(key, options, "Get"));
    const std::uint64_t begin = found.second.first;
    const std::uint64_t end = found.second.second;
    std::string out = found.first.data->substr(begin, end - begin);
    if (options.progress) options.progress(out.size(), out.size());
    co_return out;
  }

  Awaitable<absl::StatusOr<std::unique_ptr<BlobReader>>> OpenReader(
      std::string_view key, const GetOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(auto found, Lookup(key, options, "OpenReader"));
    co_return std::make_unique<MemoryReader>(std::move(found.first), found.second.first,
                                             found.second.second, options.progress);
  }

  Awaitable<absl::StatusOr<BlobAttributes>> Stat(std::string_view key) override {
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
    COHORT_CO_ASSIGN_OR_RETURN(auto object, state_->Find(key));
    co_return std::move(object.attributes);
  }

  Awaitable<absl::Status> Delete(std::string_view key) override {
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
    state_->Erase(key);
    co_return absl::OkStatus();
  }

  Awaitable<absl::StatusOr<ListPage>> List(const ListOptions& options) override {
    COHORT_CO_ASSIGN_OR_RETURN(auto acc, internal::ListAccumulator::Create(options));
    COHORT_CO_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, state_->clock(), "List"));
    co_return state_->List(std::move(acc));
  }

  Awaitable<absl::StatusOr<BlobAttributes>> Copy(std::string_view from, std::string_view to,
                                                 const PutOptions& options) override {
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(from));
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(to));
    COHORT_CO_RETURN_IF_ERROR(internal::ValidateCopyOptions(options, state_->clock()));
    COHORT_CO_ASSIGN_OR_RETURN(StoredObject object, state_->Find(from));
    object.attributes.key = std::string(to);
    const std::uint64_t size = object.attributes.size;
    auto result = state_->Install(std::move(object), options);
    if (result.ok() && options.progress) options.progress(size, size);
    co_return result;
  }

  absl::StatusOr<std::string> PresignUrl(std::string_view /*key*/,
                                         const PresignOptions& /*options*/) override {
    return absl::UnimplementedError("mem:// has no presigned URLs");
  }

 private:
  absl::StatusOr<internal::StoredHeaders> PreparePut(std::string_view key,
                                                     const PutOptions& options,
                                                     std::string_view what) const {
    COHORT_RETURN_IF_ERROR(internal::ValidateKey(key));
    COHORT_RETURN_IF_ERROR(internal::ValidateConditions(options));
    COHORT_ASSIGN_OR_RETURN(auto headers, internal::NormalizeHeaders(options));
    COHORT_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, state_->clock(), what));
    return headers;
  }

  absl::StatusOr<std::pair<StoredObject, std::pair<std::uint64_t, std::uint64_t>>> Lookup(
      std::string_view key, const GetOptions& options, std::string_view what) const {
    COHORT_RETURN_IF_ERROR(internal::ValidateKey(key));
    COHORT_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, state_->clock(), what));
    COHORT_ASSIGN_OR_RETURN(StoredObject object, state_->Find(key));
    if (options.if_match.has_value() &&
        !internal::EtagMatches(object.attributes.etag, *options.if_match)) {
      return EtagMismatch(key, *options.if_match, object.attributes.etag);
    }
    COHORT_ASSIGN_OR_RETURN(auto range, internal::ResolveRange(options.range, object.attributes.size));
    return std::make_pair(std::move(object), range);
  }

  std::shared_ptr<MemoryState> state_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlobStorage>> NewMemoryBlobStorage(const Context& ctx,
                                                                  std::string name) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  return std::make_unique<MemoryBlobStorage>(
      std::make_shared<MemoryState>(ctx.clock, std::move(name)));
}

}  // namespace cohort::blob
