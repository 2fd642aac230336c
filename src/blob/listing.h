// One page of a List call, built the same way by every local backend.
//
// The backend walks keys in increasing byte order and offers each to the
// accumulator, which applies the prefix, the delimiter roll-up, the page
// token and the page size. The page token is the last item (key or common
// prefix) of the previous page, so a page resumes exactly after it even when
// keys were added or removed in between.
#ifndef COHORT_SRC_BLOB_LISTING_H_
#define COHORT_SRC_BLOB_LISTING_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cohort/blob/blob_storage.h"

namespace cohort::blob::internal {

class ListAccumulator {
 public:
  // Validates `options` (including its page token).
  static absl::StatusOr<ListAccumulator> Create(const ListOptions& options);

  enum class Action {
    kSkip,      // not part of this page (filtered, or rolled up)
    kAddEntry,  // call AddEntry with this key's attributes
    kDone,      // the page is full; stop walking
  };
  // Offers the next key; keys must come in strictly increasing byte order.
  Action Offer(std::string_view key);
  // Adds the entry for the key last offered with kAddEntry.
  void AddEntry(BlobAttributes attributes);
  // Forgets the key last offered with kAddEntry (it vanished meanwhile).
  void DropEntry();

  // False when no key starting with `key_prefix` can appear on this page,
  // so that a walker may skip a whole subtree.
  bool WantsSubtree(std::string_view key_prefix) const;

  // The smallest key worth offering (walkers may seek to it).
  const std::string& start() const { return start_; }
  const std::string& prefix() const { return prefix_; }

  ListPage Finish() &&;

 private:
  ListAccumulator() = default;
  // Length of the common prefix `key` rolls up into, or 0 when it stands
  // for itself.
  std::size_t RollUpLength(std::string_view key) const;
  bool Covered(std::string_view key_prefix) const;

  std::string prefix_;
  std::string delimiter_;
  std::string after_;       // the last item of the previous page, or empty
  std::string last_item_;   // the last item added to this page
  bool last_is_prefix_ = false;
  std::string start_;
  int max_ = 1000;
  int count_ = 0;
  ListPage page_;
};

}  // namespace cohort::blob::internal

#endif  // COHORT_SRC_BLOB_LISTING_H_
