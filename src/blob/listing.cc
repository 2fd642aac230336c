#include "blob/listing.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "blob/strings.h"
#include "blob/validation.h"

namespace cohort::blob::internal {
namespace {

constexpr std::string_view kTokenVersion = "v1.";

std::string EncodeToken(std::string_view item) {
  return absl::StrCat(Av(kTokenVersion), absl::WebSafeBase64Escape(Av(item)));
}

}  // namespace

absl::StatusOr<ListAccumulator> ListAccumulator::Create(const ListOptions& options) {
  if (absl::Status s = ValidateListOptions(options); !s.ok()) return s;
  ListAccumulator acc;
  acc.prefix_ = options.prefix;
  acc.delimiter_ = options.delimiter;
  acc.max_ = options.max_results;
  if (!options.page_token.empty()) {
    const std::string_view token = options.page_token;
    std::string decoded;
    if (!token.starts_with(kTokenVersion) ||
        !absl::WebSafeBase64Unescape(Av(token.substr(kTokenVersion.size())), &decoded) ||
        decoded.empty()) {
      return absl::InvalidArgumentError(
          "page_token is not one this backend issued: pass ListPage::next_page_token "
          "unchanged, or empty to start over");
    }
    acc.after_ = std::move(decoded);
  }
  acc.start_ = std::max(acc.prefix_, acc.after_);
  return acc;
}

std::size_t ListAccumulator::RollUpLength(std::string_view key) const {
  if (delimiter_.empty() || !key.starts_with(prefix_)) return 0;
  const std::size_t pos = key.find(delimiter_, prefix_.size());
  if (pos == std::string_view::npos) return 0;
  return pos + delimiter_.size();
}

bool ListAccumulator::Covered(std::string_view key_prefix) const {
  // Everything under a common prefix that was already emitted (here or on an
  // earlier page) rolls up into it.
  if (delimiter_.empty()) return false;
  if (last_is_prefix_ && key_prefix.starts_with(last_item_)) return true;
  return !after_.empty() && RollUpLength(after_) == after_.size() &&
         key_prefix.starts_with(after_);
}

ListAccumulator::Action ListAccumulator::Offer(std::string_view key) {
  if (!key.starts_with(prefix_)) return Action::kSkip;
  const std::size_t rolled = RollUpLength(key);
  const bool is_prefix = rolled != 0;
  const std::string_view item = is_prefix ? key.substr(0, rolled) : key;
  if (!after_.empty() && item <= std::string_view(after_)) return Action::kSkip;
  if (is_prefix && last_is_prefix_ && item == last_item_) return Action::kSkip;
  if (count_ == max_) {
    page_.next_page_token = EncodeToken(last_item_);
    return Action::kDone;
  }
  ++count_;
  last_item_ = std::string(item);
  last_is_prefix_ = is_prefix;
  if (is_prefix) {
    page_.common_prefixes.push_back(last_item_);
    return Action::kSkip;
  }
  return Action::kAddEntry;
}

void ListAccumulator::AddEntry(BlobAttributes attributes) {
  page_.entries.push_back(std::move(attributes));
}

void ListAccumulator::DropEntry() {
  // The key is gone; it no longer counts. last_item_ stays as a resume
  // point: nothing between it and the next key exists.
  --count_;
}

bool ListAccumulator::WantsSubtree(std::string_view key_prefix) const {
  const bool compatible = key_prefix.starts_with(prefix_) || std::string_view(prefix_).starts_with(key_prefix);
  if (!compatible) return false;
  if (!after_.empty() && key_prefix < std::string_view(after_) &&
      !std::string_view(after_).starts_with(key_prefix)) {
    return false;  // every key below sorts before the resume point
  }
  return !Covered(key_prefix);
}

ListPage ListAccumulator::Finish() && { return std::move(page_); }

}  // namespace cohort::blob::internal
