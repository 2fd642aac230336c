// UploadFile's S3 fast path: a multipart upload from a file, resumable
// through a journal (transfer_journal.h).
#include <asio/thread_pool.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "blob/offload.h"
#include "blob/s3/part_body.h"
#include "blob/s3/s3_storage_impl.h"
#include "blob/s3/s3_upload.h"
#include "blob/transfer_files.h"
#include "blob/transfer_journal.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

using internal::Journal;
using internal::JournalHeader;
using internal::JournalPart;
using internal::JournalWriter;

bool SameUpload(const JournalHeader& a, const JournalHeader& b) {
  return a.bucket == b.bucket && a.key == b.key && a.part_size == b.part_size && a.size == b.size &&
         a.mtime_ns == b.mtime_ns;
}

// The journal's parts that the server still holds. When the server cannot
// list parts (s3rver has no ListParts), the journal is trusted: its parts
// were acknowledged before they were written down.
std::vector<UploadedPart> Reconcile(const Journal& journal,
                                    const absl::StatusOr<std::vector<UploadedPart>>& listed) {
  std::vector<UploadedPart> kept;
  for (const JournalPart& p : journal.parts) {
    if (p.size != journal.header.part_size &&
        p.size != journal.header.size -
                      static_cast<std::uint64_t>(p.number - 1) * journal.header.part_size) {
      continue;  // not a part of this plan
    }
    bool held = !listed.ok();
    if (listed.ok()) {
      for (const UploadedPart& l : *listed) {
        held = held || (l.number == p.number && l.etag == p.etag && l.size == p.size);
      }
    }
    bool duplicate = false;
    for (const UploadedPart& k : kept) duplicate = duplicate || k.number == p.number;
    if (held && !duplicate) kept.push_back(UploadedPart{p.number, p.etag, p.size});
  }
  return kept;
}

}  // namespace

Awaitable<absl::StatusOr<BlobAttributes>> S3Storage::UploadFile(std::string path, std::string key,
                                                                TransferOptions options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateKey(key));
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateTransferOptions(options));
  const PutOptions put = internal::UploadPutOptions(options);
  COHORT_CO_ASSIGN_OR_RETURN(internal::StoredHeaders stored, internal::NormalizeHeaders(put));
  COHORT_CO_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, *clock_, "UploadFile"));
  COHORT_CO_ASSIGN_OR_RETURN(internal::SourceFile file, internal::OpenSourceFile(path));
  COHORT_CO_ASSIGN_OR_RETURN(const std::uint64_t part_size,
                             ChoosePartSize(options.part_size, file.size));
  asio::thread_pool pool(1);
  const int fd = file.fd.get();

  if (file.size <= part_size) {
    // One request; nothing worth journaling.
    COHORT_CO_ASSIGN_OR_RETURN(std::string data,
                               co_await internal::ReadFileRange(pool, fd, 0, file.size));
    PutOptions single = put;
    single.progress = options.progress;
    absl::StatusOr<BlobAttributes> done = co_await PutOwned(key, std::move(data), single);
    if (done.ok() && !options.journal_path.empty()) {
      COHORT_CO_RETURN_IF_ERROR(internal::RemoveJournal(options.journal_path));
    }
    co_return done;
  }

  MultipartPlan plan;
  plan.total = file.size;
  plan.part_size = part_size;
  plan.object_headers = ObjectHeaders(stored);
  plan.keep_parts_on_failure = options.keep_parts_on_failure;
  plan.scheduler.concurrency = options.concurrency;
  plan.scheduler.checksum = options_.part_checksum;
  plan.scheduler.deadline = options.deadline;
  plan.scheduler.total = file.size;
  plan.scheduler.progress = options.progress;

  JournalHeader header;
  header.bucket = options_.bucket;
  header.key = key;
  header.part_size = part_size;
  header.size = file.size;
  header.mtime_ns = file.mtime_ns;
  std::optional<JournalWriter> journal;
  const std::string& journal_path = options.journal_path;
  if (!journal_path.empty()) {
    COHORT_CO_ASSIGN_OR_RETURN(std::optional<Journal> existing,
                               internal::ReadJournal(journal_path));
    if (existing && SameUpload(existing->header, header)) {
      absl::StatusOr<std::vector<UploadedPart>> listed =
          co_await ListParts(Target(key), existing->header.upload_id, options.deadline);
      if (!IsNoSuchUpload(listed.status())) {
        plan.upload_id = existing->header.upload_id;
        plan.completed = Reconcile(*existing, listed);
      }
    } else if (existing && existing->header.bucket == options_.bucket) {
      // A journal of another file or version: its upload is of no use.
      (void)co_await AbortMultipartUpload(Target(existing->header.key), existing->header.upload_id,
                                          options.deadline);
    }
    if (!plan.upload_id.empty()) {
      header.upload_id = plan.upload_id;
      COHORT_CO_ASSIGN_OR_RETURN(JournalWriter w, JournalWriter::Create(journal_path, header));
      for (const UploadedPart& p : plan.completed) {
        COHORT_CO_RETURN_IF_ERROR(w.Append(JournalPart{p.number, p.size, p.etag}));
      }
      journal.emplace(std::move(w));
    } else {
      plan.on_created = [&](const std::string& upload_id) -> absl::Status {
        header.upload_id = upload_id;
        absl::StatusOr<JournalWriter> w = JournalWriter::Create(journal_path, header);
        if (!w.ok()) return w.status();
        journal.emplace(*std::move(w));
        return absl::OkStatus();
      };
    }
    plan.scheduler.on_part_done = [&](const UploadedPart& p) -> absl::Status {
      return journal->Append(JournalPart{p.number, p.size, p.etag});
    };
  }

  // Each part is read and digested on `pool`'s thread (FillPart), straight
  // into a reused buffer: with direct reads, a whole part in one read, then
  // digested block by block; through the page cache, a block at a time,
  // digested while it is in the core's cache.
  internal::Fd direct;
  if (options.bypass_page_cache && part_size % internal::kDirectReadAlignment == 0) {
    direct = internal::OpenForDirectReads(path, file);
  }
  PartReader read = [&pool, fd, direct_fd = direct.get()](
                        PartRequest request) -> Awaitable<absl::StatusOr<PartBody>> {
    auto fill = [fd, direct_fd, request = std::move(request)]() -> absl::StatusOr<PartBody> {
      auto read_block = [&](char* dest, std::uint64_t at, std::size_t n) {
        return internal::PreadDirect(direct_fd, fd, dest, request.offset + at, n);
      };
      return FillPart(*request.pool, request.size, request.digests, read_block,
                      direct_fd >= 0 ? request.size : kPartReadBytes);
    };
    absl::StatusOr<PartBody> body = co_await internal::Offload(pool, std::move(fill));
    co_return body;
  };
  absl::StatusOr<std::string> etag =
      co_await RunMultipartUpload(Target(key), std::move(plan), std::move(read));
  if (!journal_path.empty() && (etag.ok() || !options.keep_parts_on_failure)) {
    journal.reset();
    COHORT_CO_RETURN_IF_ERROR(internal::RemoveJournal(journal_path));
  }
  if (!etag.ok()) co_return etag.status();
  BlobAttributes a;
  a.key = std::move(key);
  a.size = file.size;
  a.etag = *std::move(etag);
  a.modified = clock_->Now();
  a.content_type = std::move(stored.content_type);
  a.metadata = std::move(stored.metadata);
  co_return a;
}

}  // namespace cohort::blob::s3
