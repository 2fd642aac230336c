// The replicated key-value map of the raft_kv example.
//
// Commands are encoded Requests (kv_codec.h). Each client's requests carry
// increasing sequence numbers; the state machine remembers each client's
// latest (seq, result) so that a request retried after a lost answer (or a
// leader change) is applied once and answered with the first result.
#ifndef COHORT_EXAMPLES_RAFT_KV_KV_STATE_MACHINE_H_
#define COHORT_EXAMPLES_RAFT_KV_KV_STATE_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cohort/consensus/state_machine.h"

namespace raft_kv {

class KvStateMachine final : public cohort::consensus::StateMachine {
 public:
  absl::StatusOr<std::string> Apply(const cohort::consensus::LogEntry& entry) override;
  absl::StatusOr<std::unique_ptr<cohort::consensus::SnapshotWriter>> Snapshot() override;
  absl::Status Restore(cohort::consensus::ByteSource& source) override;

  // Reads the local state (after a ConsensusLog read barrier for a
  // linearizable read).
  std::optional<std::string> Get(const std::string& key) const;

 private:
  struct LastResult {
    std::uint64_t seq = 0;
    absl::StatusCode code = absl::StatusCode::kOk;
    std::string text;
  };
  mutable absl::Mutex mu_;
  // Hashed, not ordered: the example serves point reads and writes only, and
  // an ordered map's string compares were the largest cost of applying.
  absl::flat_hash_map<std::string, std::string> data_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::uint64_t, LastResult> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raft_kv

#endif  // COHORT_EXAMPLES_RAFT_KV_KV_STATE_MACHINE_H_
