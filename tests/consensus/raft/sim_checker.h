// Raft safety properties, checked by the simulation after every step
// (Raft paper, Figure 3): election safety, leader append-only, log matching,
// leader completeness and state machine safety, plus read linearizability.
//
// Log matching is checked incrementally: every entry that enters any log is
// recorded by (index, term) together with its content and the term of the
// entry before it. If (index, term) always determines both, then two logs
// holding the same (index, term) agree on every entry up to it (induction
// on index), which is the property.
#ifndef COHORT_TESTS_CONSENSUS_RAFT_SIM_CHECKER_H_
#define COHORT_TESTS_CONSENSUS_RAFT_SIM_CHECKER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/raft/core.h"

namespace cohort::consensus::raft::sim {

std::uint64_t Fnv(std::string_view data, std::uint64_t h = 1469598103934665603ull);

class Checker {
 public:
  // Each returns an empty string when the property holds, else a description.

  // Called after every step for every live member.
  std::string CheckMember(const Core& core);

  // An entry appended to `core`'s log (from a Ready).
  std::string OnAppended(const Core& core, const Entry& entry);

  // A committed entry handed out by `core`; `chain` is the member's state
  // machine digest after applying it.
  std::string OnApplied(const Core& core, const Entry& entry, std::uint64_t chain);

  // A member restored its state machine at `index` with digest `chain`.
  std::string OnRestored(NodeId id, Index index, std::uint64_t chain);

  // Reads: the read index must cover everything committed before the call.
  void OnReadIssued(const std::string& context, Index floor);
  std::string OnReadState(NodeId id, const ReadState& read);

  // Pairwise comparison of the in-memory logs of `cores` (slow; once a run).
  std::string CheckLogsMatch(const std::vector<const Core*>& cores) const;

  // A member restarted: it is a new incarnation as far as leadership goes.
  void OnRestart(NodeId id) { leader_view_.erase(id); }

  // The term of the committed entry at `index`, or 0 if none is known.
  Term CommittedTerm(Index index) const {
    return index < committed_.size() && committed_[index].has_value() ? committed_[index]->term
                                                                       : 0;
  }
  Index max_committed() const { return committed_.empty() ? 0 : committed_.size() - 1; }
  int leaders_elected() const { return static_cast<int>(leader_by_term_.size()); }
  int reads_checked() const { return reads_checked_; }

 private:
  struct Written {
    std::uint64_t content = 0;
    Term prev_term = 0;
  };
  struct Committed {
    Term term = 0;
    // The term of the member that first handed it out: every leader of a
    // later term must hold the entry.
    Term known_term = 0;
    std::uint64_t content = 0;
    std::uint64_t chain = 0;
  };
  struct LeaderView {
    Term term = 0;
    Index last_index = 0;
    Term last_term = 0;
    // Committed entries below this were checked against this leader.
    Index checked = 0;
  };

  std::string CheckCompleteness(const Core& core, Index from) const;

  std::map<Term, NodeId> leader_by_term_;
  std::map<std::pair<Index, Term>, Written> written_;
  // Indexed by log index; index 0 unused.
  std::vector<std::optional<Committed>> committed_;
  std::map<NodeId, LeaderView> leader_view_;
  std::map<std::string, Index> read_floor_;
  int reads_checked_ = 0;
};

}  // namespace cohort::consensus::raft::sim

#endif  // COHORT_TESTS_CONSENSUS_RAFT_SIM_CHECKER_H_
