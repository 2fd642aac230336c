// Byte encoding shared by the raft_kv example's commands, snapshots and
// client protocol: little-endian fixed-width integers and u32-length strings.
#ifndef COHORT_EXAMPLES_RAFT_KV_KV_CODEC_H_
#define COHORT_EXAMPLES_RAFT_KV_KV_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace raft_kv {

void PutU64(std::uint64_t v, std::string* out);
void PutStr(std::string_view s, std::string* out);

// Reads from the front of a buffer; every getter fails (nullopt) instead of
// reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::optional<std::uint64_t> U64();
  std::optional<std::string> Str();
  bool Done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

enum class Op : std::uint8_t { kPut = 1, kDelete = 2, kCas = 3, kGet = 4 };

// A client request and, for writes, the replicated command. (client, seq)
// identifies it: the state machine applies a retried request once.
struct Request {
  Op op = Op::kPut;
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  std::string key{};
  std::string value{};
  // For kCas: the value the key must hold (empty with `expect_absent`).
  std::string expected{};
  bool expect_absent = false;
};

std::string EncodeRequest(const Request& r);
std::optional<Request> DecodeRequest(std::string_view bytes);

}  // namespace raft_kv

#endif  // COHORT_EXAMPLES_RAFT_KV_KV_CODEC_H_
