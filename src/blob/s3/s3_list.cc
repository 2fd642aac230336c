// S3Storage::List: ListObjectsV2 pages behind page tokens of cohort's own.
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/s3_storage_impl.h"
#include "blob/s3/s3_xml.h"
#include "blob/validation.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// Where a listing resumes: after `item`, a key, or a common prefix and
// every key under it.
struct PageCursor {
  std::string item;
  bool is_prefix = false;
  bool Covers(std::string_view key) const {
    return key <= item || (is_prefix && absl::StartsWith(AV(key), AV(item)));
  }
};

constexpr std::string_view kTokenMagic = "s3.1.";

std::string EncodePageToken(const PageCursor& cursor) {
  return absl::StrCat(AV(kTokenMagic), cursor.is_prefix ? "p" : "k",
                      absl::WebSafeBase64Escape(cursor.item));
}

absl::StatusOr<PageCursor> DecodePageToken(std::string_view token) {
  PageCursor cursor;
  if (token.empty()) return cursor;
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        "page_token is not a token that List returned; pass ListPage::next_page_token as is");
  };
  if (!absl::StartsWith(AV(token), AV(kTokenMagic)) || token.size() < kTokenMagic.size() + 2) {
    return bad();
  }
  const char kind = token[kTokenMagic.size()];
  if (kind != 'p' && kind != 'k') return bad();
  cursor.is_prefix = kind == 'p';
  if (!absl::WebSafeBase64Unescape(AV(token.substr(kTokenMagic.size() + 1)), &cursor.item) ||
      cursor.item.empty()) {
    return bad();
  }
  return cursor;
}

}  // namespace

Awaitable<absl::StatusOr<ListPage>> S3Storage::List(const ListOptions& options) {
  COHORT_CO_RETURN_IF_ERROR(internal::ValidateListOptions(options));
  COHORT_CO_RETURN_IF_ERROR(internal::CheckDeadline(options.deadline, *clock_, "List"));
  // Pages resume with start-after at the last item returned, not with the
  // server's continuation token: a server may resume after the last *key*
  // of a page that ended with a common prefix (s3rver does) and list that
  // prefix again. Skipping what the previous page already covered keeps
  // the interface's promise on every server; on AWS there is nothing to skip.
  COHORT_CO_ASSIGN_OR_RETURN(PageCursor after, DecodePageToken(options.page_token));
  ListPage page;
  for (int fetches = 0; fetches < 100; ++fetches) {
    S3Request r = Request("ListObjectsV2", "GET", "");
    r.query = {{"list-type", "2"},
               {"max-keys", absl::StrCat(options.max_results)},
               {"encoding-type", "url"}};
    if (!options.prefix.empty()) r.query.emplace_back("prefix", options.prefix);
    if (!options.delimiter.empty()) r.query.emplace_back("delimiter", options.delimiter);
    if (!after.item.empty()) r.query.emplace_back("start-after", after.item);
    r.deadline = options.deadline;
    COHORT_CO_ASSIGN_OR_RETURN(HttpResponse response, co_await client_->Call(std::move(r)));
    COHORT_CO_ASSIGN_OR_RETURN(ListObjectsV2Result list, ParseListObjectsV2(response.body));
    PageCursor last = after;
    for (S3Object& object : list.contents) {
      if (after.Covers(object.key)) continue;
      if (object.key > last.item) last = PageCursor{object.key, false};
      BlobAttributes a;
      a.key = std::move(object.key);
      a.size = object.size;
      a.etag = Unquoted(object.etag);
      a.modified = object.last_modified;
      page.entries.push_back(std::move(a));
    }
    for (std::string& prefix : list.common_prefixes) {
      if (after.is_prefix && prefix == after.item) continue;
      if (prefix > last.item) last = PageCursor{prefix, true};
      page.common_prefixes.push_back(std::move(prefix));
    }
    if (!list.is_truncated) co_return page;
    if (!page.entries.empty() || !page.common_prefixes.empty()) {
      page.next_page_token = EncodePageToken(last);
      co_return page;
    }
    if (last.item == after.item) {
      co_return absl::UnavailableError(absl::StrCat(
          "ListObjectsV2 of bucket ", options_.bucket, " made no progress after \"", after.item,
          "\""));
    }
    after = std::move(last);  // a page of repeats only: ask again after them
  }
  co_return absl::UnavailableError("ListObjectsV2 answered 100 pages of repeats");
}

}  // namespace cohort::blob::s3
