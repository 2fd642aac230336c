#include "kv_state_machine.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "kv_codec.h"

namespace raft_kv {
namespace {

using cohort::consensus::ByteSink;
using cohort::consensus::SnapshotWriter;

class MapWriter final : public SnapshotWriter {
 public:
  explicit MapWriter(std::string bytes) : bytes_(std::move(bytes)) {}
  absl::Status WriteTo(ByteSink& sink) override { return sink.Append(bytes_); }

 private:
  std::string bytes_;
};

}  // namespace

absl::StatusOr<std::string> KvStateMachine::Apply(const cohort::consensus::LogEntry& entry) {
  auto request = DecodeRequest(entry.command);
  if (!request.has_value()) return absl::InvalidArgumentError("malformed kv command");
  absl::MutexLock lock(&mu_);
  LastResult& session = sessions_[request->client];
  if (request->client != 0 && request->seq <= session.seq) {
    if (request->seq < session.seq) {
      return absl::FailedPreconditionError("stale request: the client has moved on");
    }
    // A retry of the latest request: answer as the first time.
    if (session.code != absl::StatusCode::kOk) return absl::Status(session.code, session.text);
    return session.text;
  }
  absl::Status status;
  std::string result = "ok";
  switch (request->op) {
    case Op::kPut:
      data_[request->key] = request->value;
      break;
    case Op::kDelete:
      result = data_.erase(request->key) > 0 ? "deleted" : "absent";
      break;
    case Op::kCas: {
      auto it = data_.find(request->key);
      const bool matches = request->expect_absent
                               ? it == data_.end()
                               : (it != data_.end() && it->second == request->expected);
      if (matches) {
        data_[request->key] = request->value;
      } else {
        status = absl::FailedPreconditionError(absl::StrCat(
            "compare failed: ", request->key, " is ",
            it == data_.end() ? std::string("absent") : absl::StrCat("'", it->second, "'")));
      }
      break;
    }
    case Op::kGet:
      status = absl::InvalidArgumentError("get is not a command");
      break;
  }
  if (request->client != 0) {
    session = {request->seq, status.code(), status.ok() ? result : std::string(status.message())};
  }
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::unique_ptr<SnapshotWriter>> KvStateMachine::Snapshot() {
  // A copy of the encoded state: later applies do not change it.
  absl::MutexLock lock(&mu_);
  std::size_t bytes = 2 * 8;  // Fixed 8-byte integers (kv_codec.h).
  for (const auto& [k, v] : data_) bytes += 2 * 8 + k.size() + v.size();
  for (const auto& [client, s] : sessions_) bytes += 4 * 8 + s.text.size();
  std::string out;
  out.reserve(bytes);
  PutU64(data_.size(), &out);
  for (const auto& [k, v] : data_) {
    PutStr(k, &out);
    PutStr(v, &out);
  }
  PutU64(sessions_.size(), &out);
  for (const auto& [client, s] : sessions_) {
    PutU64(client, &out);
    PutU64(s.seq, &out);
    PutU64(static_cast<std::uint64_t>(s.code), &out);
    PutStr(s.text, &out);
  }
  return std::make_unique<MapWriter>(std::move(out));
}

absl::Status KvStateMachine::Restore(cohort::consensus::ByteSource& source) {
  std::string bytes;
  char buffer[1 << 14];
  for (;;) {
    auto n = source.Read(buffer);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    bytes.append(buffer, *n);
  }
  Reader in(bytes);
  absl::flat_hash_map<std::string, std::string> data;
  absl::flat_hash_map<std::uint64_t, LastResult> sessions;
  const absl::Status bad = absl::DataLossError("malformed kv snapshot");
  auto count = in.U64();
  if (!count) return bad;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto k = in.Str();
    auto v = in.Str();
    if (!k || !v) return bad;
    data[*k] = *v;
  }
  count = in.U64();
  if (!count) return bad;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto client = in.U64();
    auto seq = in.U64();
    auto code = in.U64();
    auto text = in.Str();
    if (!client || !seq || !code || !text) return bad;
    sessions[*client] = {*seq, static_cast<absl::StatusCode>(*code), *text};
  }
  if (!in.Done()) return bad;
  absl::MutexLock lock(&mu_);
  data_ = std::move(data);
  sessions_ = std::move(sessions);
  return absl::OkStatus();
}

std::optional<std::string> KvStateMachine::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

}  // namespace raft_kv
