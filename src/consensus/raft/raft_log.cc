#include "consensus/raft/raft_log.h"

#include <utility>

namespace cohort::consensus::raft {

void RaftLog::Reset(Index index, Term term) {
  snapshot_index_ = index;
  snapshot_term_ = term;
  entries_.clear();
}

Term RaftLog::LastTerm() const { return entries_.empty() ? snapshot_term_ : entries_.back().term; }

std::optional<Term> RaftLog::TermAt(Index index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > LastIndex()) return std::nullopt;
  return At(index).term;
}

bool RaftLog::MatchTerm(Index index, Term term) const {
  auto t = TermAt(index);
  return t.has_value() && *t == term;
}

bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  return last_term > LastTerm() || (last_term == LastTerm() && last_index >= LastIndex());
}

Index RaftLog::TruncateAndAppend(std::vector<Entry> entries) {
  if (entries.empty()) return LastIndex() + 1;
  const Index first = entries.front().index;
  while (LastIndex() >= first) entries_.pop_back();
  for (Entry& e : entries) entries_.push_back(std::move(e));
  return first;
}

Index RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  for (const Entry& e : entries) {
    // Entries at or below the snapshot are committed and so match.
    if (e.index <= snapshot_index_) continue;
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return 0;
}

Index RaftLog::FindConflictByTerm(Index index, Term term) const {
  if (index > LastIndex()) index = LastIndex();
  while (index > snapshot_index_) {
    if (At(index).term <= term) return index;
    --index;
  }
  return snapshot_index_;
}

std::vector<Entry> RaftLog::Slice(Index lo, Index hi, std::uint64_t max_bytes) const {
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  for (Index i = lo; i <= hi; ++i) {
    const Entry& e = At(i);
    bytes += EntryBytes(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void RaftLog::CompactTo(Index index) {
  if (index <= snapshot_index_ || index > LastIndex()) return;
  snapshot_term_ = At(index).term;
  while (snapshot_index_ < index) {
    entries_.pop_front();
    ++snapshot_index_;
  }
}

}  // namespace cohort::consensus::raft
