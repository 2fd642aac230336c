#include "kv_codec.h"

namespace raft_kv {

void PutU64(std::uint64_t v, std::string* out) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(bytes, sizeof bytes);
}

void PutStr(std::string_view s, std::string* out) {
  PutU64(s.size(), out);
  out->append(s);
}

std::optional<std::uint64_t> Reader::U64() {
  if (in_.size() < 8) return std::nullopt;
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(in_[i])) << (8 * i);
  in_.remove_prefix(8);
  return v;
}

std::optional<std::string> Reader::Str() {
  auto n = U64();
  if (!n.has_value() || *n > in_.size()) return std::nullopt;
  std::string s(in_.substr(0, *n));
  in_.remove_prefix(*n);
  return s;
}

std::string EncodeRequest(const Request& r) {
  std::string out;
  PutU64(static_cast<std::uint64_t>(r.op), &out);
  PutU64(r.client, &out);
  PutU64(r.seq, &out);
  PutStr(r.key, &out);
  PutStr(r.value, &out);
  PutStr(r.expected, &out);
  PutU64(r.expect_absent ? 1 : 0, &out);
  return out;
}

std::optional<Request> DecodeRequest(std::string_view bytes) {
  Reader in(bytes);
  Request r;
  auto op = in.U64();
  auto client = in.U64();
  auto seq = in.U64();
  auto key = in.Str();
  auto value = in.Str();
  auto expected = in.Str();
  auto absent = in.U64();
  if (!op || !client || !seq || !key || !value || !expected || !absent || !in.Done() ||
      *op < 1 || *op > 4) {
    return std::nullopt;
  }
  r.op = static_cast<Op>(*op);
  r.client = *client;
  r.seq = *seq;
  r.key = *std::move(key);
  r.value = *std::move(value);
  r.expected = *std::move(expected);
  r.expect_absent = *absent != 0;
  return r;
}

}  // namespace raft_kv
