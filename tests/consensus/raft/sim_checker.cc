#include "consensus/raft/sim_checker.h"

#include "absl/strings/str_cat.h"

namespace cohort::consensus::raft::sim {
namespace {

std::uint64_t EntryContent(const Entry& e) {
  return Fnv(e.data, static_cast<std::uint64_t>(e.type) * 1099511628211ull + 7);
}

}  // namespace

std::uint64_t Fnv(std::string_view data, std::uint64_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Checker::CheckMember(const Core& core) {
  if (core.role() != CoreRole::kLeader) {
    leader_view_.erase(core.id());
    return "";
  }
  auto [it, inserted] = leader_by_term_.emplace(core.term(), core.id());
  if (!inserted && it->second != core.id()) {
    return absl::StrCat("election safety: members ", it->second, " and ", core.id(),
                        " both led term ", core.term());
  }
  const RaftLog& log = core.log();
  auto view = leader_view_.find(core.id());
  if (view != leader_view_.end() && view->second.term == core.term()) {
    const LeaderView& v = view->second;
    if (log.LastIndex() < v.last_index) {
      return absl::StrCat("leader append-only: leader ", core.id(), " of term ", core.term(),
                          " shrank its log from ", v.last_index, " to ", log.LastIndex());
    }
    auto term = log.TermAt(v.last_index);
    if (term.has_value() && *term != v.last_term) {
      return absl::StrCat("leader append-only: leader ", core.id(), " rewrote entry ",
                          v.last_index, " (term ", v.last_term, " -> ", *term, ")");
    }
    std::string err = CheckCompleteness(core, v.checked);
    if (!err.empty()) return err;
  } else {
    // Newly elected: it must hold every entry committed in earlier terms.
    std::string err = CheckCompleteness(core, 1);
    if (!err.empty()) return err;
  }
  leader_view_[core.id()] = {core.term(), log.LastIndex(), log.LastTerm(),
                             static_cast<Index>(committed_.size())};
  return "";
}

std::string Checker::CheckCompleteness(const Core& core, Index from) const {
  const RaftLog& log = core.log();
  for (Index i = std::max(from, log.FirstIndex()); i < committed_.size(); ++i) {
    const auto& c = committed_[i];
    if (!c.has_value() || c->known_term >= core.term()) continue;
    if (!log.MatchTerm(i, c->term)) {
      return absl::StrCat("leader completeness: leader ", core.id(), " of term ", core.term(),
                          " lacks entry ", i, " (term ", c->term,
                          ") committed by term ", c->known_term);
    }
  }
  return "";
}

std::string Checker::OnAppended(const Core& core, const Entry& entry) {
  const Written w{EntryContent(entry), core.log().TermAt(entry.index - 1).value_or(0)};
  auto [it, inserted] = written_.emplace(std::make_pair(entry.index, entry.term), w);
  if (!inserted && (it->second.content != w.content || it->second.prev_term != w.prev_term)) {
    return absl::StrCat("log matching: member ", core.id(), " holds a different entry ",
                        entry.index, " of term ", entry.term, " (or a different predecessor)");
  }
  return "";
}

std::string Checker::OnApplied(const Core& core, const Entry& entry, std::uint64_t chain) {
  if (committed_.size() <= entry.index) committed_.resize(entry.index + 1);
  auto& c = committed_[entry.index];
  const std::uint64_t content = EntryContent(entry);
  if (!c.has_value()) {
    c = Committed{entry.term, core.term(), content, chain};
    return "";
  }
  if (c->term != entry.term || c->content != content || c->chain != chain) {
    return absl::StrCat("state machine safety: member ", core.id(), " applied a different entry ",
                        entry.index, " (term ", entry.term, " vs ", c->term, ")");
  }
  return "";
}

std::string Checker::OnRestored(NodeId id, Index index, std::uint64_t chain) {
  if (index == 0) return "";
  if (index >= committed_.size() || !committed_[index].has_value()) {
    return absl::StrCat("state machine safety: member ", id, " restored a snapshot at ", index,
                        " that nobody applied");
  }
  if (committed_[index]->chain != chain) {
    return absl::StrCat("state machine safety: member ", id, " restored a snapshot at ", index,
                        " with a different state");
  }
  return "";
}

void Checker::OnReadIssued(const std::string& context, Index floor) {
  read_floor_[context] = floor;
}

std::string Checker::OnReadState(NodeId id, const ReadState& read) {
  auto it = read_floor_.find(read.context);
  if (it == read_floor_.end()) {
    return absl::StrCat("read: member ", id, " released unknown read ", read.context);
  }
  if (read.ok) {
    ++reads_checked_;
    if (read.index < it->second) {
      return absl::StrCat("linearizable read: ", read.context, " got read index ", read.index,
                          " but ", it->second, " was committed before it was issued");
    }
  }
  return "";
}

std::string Checker::CheckLogsMatch(const std::vector<const Core*>& cores) const {
  for (std::size_t a = 0; a < cores.size(); ++a) {
    for (std::size_t b = a + 1; b < cores.size(); ++b) {
      const RaftLog& x = cores[a]->log();
      const RaftLog& y = cores[b]->log();
      const Index lo = std::max(x.FirstIndex(), y.FirstIndex());
      const Index hi = std::min(x.LastIndex(), y.LastIndex());
      // Find the last index where both agree on the term; everything before
      // it must be identical.
      Index agree = 0;
      for (Index i = hi; i >= lo && i > 0; --i) {
        if (x.At(i).term == y.At(i).term) {
          agree = i;
          break;
        }
      }
      for (Index i = lo; i <= agree; ++i) {
        if (!(x.At(i) == y.At(i))) {
          return absl::StrCat("log matching: members ", cores[a]->id(), " and ",
                              cores[b]->id(), " agree at ", agree, " but differ at ", i);
        }
      }
    }
  }
  return "";
}

}  // namespace cohort::consensus::raft::sim
