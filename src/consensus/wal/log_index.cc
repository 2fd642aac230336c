#include "consensus/wal/log_index.h"

namespace cohort::consensus::wal {

void LogIndex::Reset(raft::Index index, raft::Term term) {
  base_index_ = index;
  base_term_ = term;
  slots_.clear();
  cache_.clear();
  cached_bytes_ = 0;
}

std::optional<raft::Term> LogIndex::TermAt(raft::Index index) const {
  if (index == base_index_) return base_term_;
  if (index < base_index_ || index > LastIndex()) return std::nullopt;
  return slots_[index - FirstIndex()].term;
}

void LogIndex::TruncateFrom(raft::Index index) {
  while (LastIndex() >= index && !slots_.empty()) {
    slots_.pop_back();
    if (!cache_.empty() && cache_.back().index > LastIndex()) {
      cached_bytes_ -= CachedEntryBytes(cache_.back());
      cache_.pop_back();
    }
  }
}

void LogIndex::Put(const raft::Entry& entry, RecordLocation location) {
  TruncateFrom(entry.index);
  slots_.push_back(Slot{entry.term, location});
  if (cache_limit_ > 0 && (cache_.empty() || cache_.back().index + 1 == entry.index)) {
    cache_.push_back(entry);
    cached_bytes_ += CachedEntryBytes(entry);
  } else if (cache_limit_ > 0) {
    // Cannot happen (the cache is a suffix), but a gap would make Cached()
    // return the wrong entry, so restart the cache rather than trust it.
    cache_.clear();
    cache_.push_back(entry);
    cached_bytes_ = CachedEntryBytes(entry);
  }
  Evict();
}

void LogIndex::Evict() {
  while (!cache_.empty() && cached_bytes_ > cache_limit_) {
    cached_bytes_ -= CachedEntryBytes(cache_.front());
    cache_.pop_front();
  }
}

void LogIndex::CompactTo(raft::Index index) {
  if (index <= base_index_) return;
  if (index > LastIndex()) index = LastIndex();
  const raft::Term term = *TermAt(index);
  while (base_index_ < index) {
    slots_.pop_front();
    ++base_index_;
  }
  base_term_ = term;
  while (!cache_.empty() && cache_.front().index <= index) {
    cached_bytes_ -= CachedEntryBytes(cache_.front());
    cache_.pop_front();
  }
}

const raft::Entry* LogIndex::Cached(raft::Index index) const {
  if (cache_.empty() || index < cache_.front().index || index > cache_.back().index) return nullptr;
  return &cache_[index - cache_.front().index];
}

}  // namespace cohort::consensus::wal
