// PointIndex: the lookup structure shared by HashRing and KetamaRing.
//
// A flat vector of (point, node) entries sorted by point, plus a table that
// maps the top bits of a position to the first entry of its bucket. With about
// one entry per bucket a lookup is one table read and a scan of one or two
// entries: two cache misses, instead of the ~log2(P) dependent misses of a
// plain binary search over a ring larger than the cache.
#ifndef COHORT_SRC_RING_POINT_INDEX_H_
#define COHORT_SRC_RING_POINT_INDEX_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace cohort::ring::internal {

template <typename Point>
class PointIndex {
  static_assert(std::is_unsigned_v<Point>);

 public:
  struct Entry {
    Point point;
    std::uint32_t node;
  };

  PointIndex() = default;

  // `entries` must be sorted by point; equal points keep the caller's order
  // (the first one wins a lookup).
  explicit PointIndex(std::vector<Entry> entries) : entries_(std::move(entries)) {
    const int width = std::bit_width(entries_.size());
    bits_ = std::clamp(width - 1, 1, 24);
    shift_ = std::numeric_limits<Point>::digits - bits_;
    const std::size_t buckets = std::size_t{1} << bits_;
    bucket_start_.resize(buckets + 1);
    std::size_t i = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
      while (i < entries_.size() && (entries_[i].point >> shift_) < b) ++i;
      bucket_start_[b] = static_cast<std::uint32_t>(i);
    }
    bucket_start_[buckets] = static_cast<std::uint32_t>(entries_.size());
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  const Entry& operator[](std::size_t i) const { return entries_[i]; }

  // Index of the first entry with point >= `position`, wrapping to 0 past the
  // last one. Requires !empty().
  std::size_t FirstAtOrAfter(Point position) const {
    const std::size_t b = static_cast<std::size_t>(position >> shift_);
    std::size_t i = bucket_start_[b];
    const std::size_t end = bucket_start_[b + 1];
    while (i < end && entries_[i].point < position) ++i;
    return i == entries_.size() ? 0 : i;
  }

  std::uint32_t OwnerAt(Point position) const { return entries_[FirstAtOrAfter(position)].node; }

 private:
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> bucket_start_;
  int bits_ = 1;
  int shift_ = std::numeric_limits<Point>::digits - 1;
};

}  // namespace cohort::ring::internal

#endif  // COHORT_SRC_RING_POINT_INDEX_H_
