#include "blob/s3/http_response_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {

// Line states gather a line ending in LF (CR LF or bare LF); the others take
// bytes as they come.
enum class HttpResponseParser::State {
  kStatusLine,
  kHeaderLines,
  kBody,            // body_remaining_ bytes of a Content-Length body
  kBodyUntilClose,  // everything until FeedEof
  kChunkSize,       // a chunk-size line
  kChunkData,       // body_remaining_ bytes of the current chunk
  kChunkDataCr,     // the CR (or bare LF) after a chunk's data
  kChunkDataLf,     // the LF after that CR
  kTrailers,        // trailer lines after the last chunk, until an empty one
  kDone,
};

namespace {

constexpr std::uint64_t kMaxLength = std::numeric_limits<std::int64_t>::max();
// 15 hex digits keep a chunk size below 2^60, far from overflow.
constexpr std::size_t kMaxChunkSizeDigits = 15;
// How much of an offending line goes into an error message.
constexpr std::size_t kQuoteLimit = 64;

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// `text` escaped and cut for an error message.
std::string Quote(std::string_view text) {
  std::string out = absl::StrCat(
      "\"", absl::CHexEscape(Absl(text.substr(0, std::min(text.size(), kQuoteLimit)))), "\"");
  if (text.size() > kQuoteLimit) out += "...";
  return out;
}

absl::Status Malformed(std::string_view what, std::string_view line) {
  return absl::InvalidArgumentError(absl::StrCat(Absl(what), " ", Quote(line)));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

// RFC 9110 5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c)) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Control characters other than HTAB (NUL, CR and LF among them) and DEL:
// nothing a status line, field value or chunk extension may contain.
bool IsForbiddenControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

bool HasForbiddenControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), IsForbiddenControl);
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each non-empty, trimmed element of a comma-separated
// list (RFC 9110 5.6.1: recipients accept and ignore empty elements).
template <typename Fn>
void ForEachListElement(std::string_view list, Fn&& fn) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = TrimWhitespace(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

struct StatusLine {
  bool http11 = false;
  int status = 0;
};

// "HTTP/1.x SP 3DIGIT [SP reason-phrase]".
absl::StatusOr<StatusLine> ParseStatusLine(std::string_view line) {
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (line.size() < 12 || line.substr(0, kPrefix.size()) != kPrefix ||
      (line[7] != '0' && line[7] != '1') || line[8] != ' ' || !IsDigit(line[9]) ||
      !IsDigit(line[10]) || !IsDigit(line[11]) || (line.size() > 12 && line[12] != ' ') ||
      HasForbiddenControl(line)) {
    return Malformed("malformed status line", line);
  }
  StatusLine out;
  out.http11 = line[7] == '1';
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (out.status < 100 || out.status > 599) {
    return Malformed("status code out of range 100-599 in status line", line);
  }
  if (out.status == 101) {
    return Malformed("101 Switching Protocols is not supported (no upgrade was requested)", line);
  }
  return out;
}

// "field-name ':' OWS field-value OWS" (RFC 9112 5).
absl::StatusOr<HttpHeader> ParseFieldLine(std::string_view line) {
  if (IsWhitespace(line.front())) {
    return Malformed("obsolete line folding (a header line starting with whitespace)", line);
  }
  std::size_t name_end = 0;
  while (name_end < line.size() && IsTokenChar(line[name_end])) ++name_end;
  if (name_end < line.size() && IsWhitespace(line[name_end])) {
    return Malformed("whitespace between header name and colon", line);
  }
  if (name_end == 0 || name_end == line.size() || line[name_end] != ':') {
    return Malformed("malformed header line", line);
  }
  const std::string_view value = line.substr(name_end + 1);
  if (HasForbiddenControl(value)) {
    return Malformed("control character in header value", line);
  }
  const std::string_view trimmed = TrimWhitespace(value);
  return HttpHeader{std::string(line.substr(0, name_end)),
                    std::string(trimmed.begin(), trimmed.end())};
}

// "1*DIGIT" below 2^63.
absl::StatusOr<std::uint64_t> ParseLength(std::string_view digits) {
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (!IsDigit(c)) return Malformed("malformed Content-Length", digits);
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (kMaxLength - d) / 10) {
      return Malformed("Content-Length exceeds 2^63-1:", digits);
    }
    value = value * 10 + d;
  }
  return value;
}

// Every Content-Length value (several lines, or one comma-separated line)
// must be the same number; nullopt when there is none.
absl::StatusOr<std::optional<std::uint64_t>> ContentLength(const std::vector<HttpHeader>& headers) {
  std::optional<std::uint64_t> length;
  for (const HttpHeader& header : headers) {
    if (!absl::EqualsIgnoreCase(header.name, "content-length")) continue;
    std::string_view list = header.value;
    // Empty elements are no number: "Content-Length: 5," is refused.
    while (true) {
      const std::size_t comma = list.find(',');
      const std::string_view element = TrimWhitespace(list.substr(0, comma));
      if (element.empty()) return Malformed("malformed Content-Length", header.value);
      COHORT_ASSIGN_OR_RETURN(const std::uint64_t value, ParseLength(element));
      if (length.has_value() && *length != value) {
        return Malformed("conflicting Content-Length values", header.value);
      }
      length = value;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return length;
}

// "chunk-size [BWS ';' chunk-ext]"; the extensions are ignored.
absl::StatusOr<std::uint64_t> ParseChunkSize(std::string_view line) {
  std::size_t digits = 0;
  std::uint64_t size = 0;
  for (; digits < line.size(); ++digits) {
    const char c = line[digits];
    int d;
    if (IsDigit(c)) {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      break;
    }
    if (digits == kMaxChunkSizeDigits) {
      return Malformed("chunk size has more than 15 hex digits", line);
    }
    size = size * 16 + static_cast<std::uint64_t>(d);
  }
  if (digits == 0) return Malformed("malformed chunk size", line);
  std::string_view rest = line.substr(digits);
  while (!rest.empty() && IsWhitespace(rest.front())) rest.remove_prefix(1);
  if (rest.size() != line.size() - digits && rest.empty()) {
    return Malformed("malformed chunk size", line);  // whitespace, no extension
  }
  if (!rest.empty() && (rest.front() != ';' || HasForbiddenControl(rest))) {
    return Malformed("malformed chunk size", line);
  }
  return size;
}

}  // namespace

HttpResponseParser::HttpResponseParser(HttpResponseParserOptions options, HttpBodyCallback on_body)
    : options_(options), on_body_(std::move(on_body)), state_(State::kStatusLine) {
  if (options_.max_header_bytes < 1) {
    failed_ = absl::InvalidArgumentError("max_header_bytes must be >= 1, got 0");
  }
}

absl::StatusOr<std::size_t> HttpResponseParser::Feed(std::string_view data) {
  if (!failed_.ok()) return failed_;
  std::size_t pos = 0;
  absl::Status status;
  while (status.ok() && pos < data.size() && state_ != State::kDone) {
    status = Step(data, pos);
  }
  bytes_consumed_ += pos;
  if (!status.ok()) return Fail(std::move(status));
  return pos;
}

absl::Status HttpResponseParser::FeedEof() {
  if (!failed_.ok()) return failed_;
  std::string where;
  switch (state_) {
    case State::kDone:
      return absl::OkStatus();
    case State::kBodyUntilClose:
      keep_alive_ = false;
      Finish();
      return absl::OkStatus();
    case State::kStatusLine:
    case State::kHeaderLines:
      if (bytes_consumed_ == 0) {
        return Fail(absl::InvalidArgumentError("connection closed before any response byte"));
      }
      where = "before the end of the headers";
      break;
    case State::kBody:
      where = absl::StrCat("after ", body_received_, " of ", body_length_, " body bytes");
      break;
    case State::kChunkSize:
      where = absl::StrCat("inside a chunk-size line, after ", body_received_, " body bytes");
      break;
    case State::kChunkData:
      where = absl::StrCat("inside a chunk, after ", body_length_ - body_remaining_, " of its ",
                           body_length_, " bytes");
      break;
    case State::kChunkDataCr:
    case State::kChunkDataLf:
      where = "before the CRLF after a chunk";
      break;
    case State::kTrailers:
      where = "inside the chunked trailers";
      break;
  }
  return Fail(absl::InvalidArgumentError(absl::StrCat("connection closed ", where)));
}

absl::Status HttpResponseParser::Step(std::string_view data, std::size_t& pos) {
  switch (state_) {
    case State::kStatusLine:
    case State::kHeaderLines:
    case State::kChunkSize:
    case State::kTrailers:
      return StepLine(data, pos);
    case State::kBody:
    case State::kChunkData: {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(body_remaining_, data.size() - pos));
      COHORT_RETURN_IF_ERROR(Deliver(data.substr(pos, n)));
      pos += n;
      body_remaining_ -= n;
      if (body_remaining_ == 0) {
        if (state_ == State::kBody) {
          Finish();
        } else {
          state_ = State::kChunkDataCr;
        }
      }
      return absl::OkStatus();
    }
    case State::kBodyUntilClose: {
      COHORT_RETURN_IF_ERROR(Deliver(data.substr(pos)));
      pos = data.size();
      return absl::OkStatus();
    }
    case State::kChunkDataCr:
    case State::kChunkDataLf: {
      const char c = data[pos];
      if (c == '\r' && state_ == State::kChunkDataCr) {
        state_ = State::kChunkDataLf;
      } else if (c == '\n') {
        state_ = State::kChunkSize;
      } else {
        return Malformed("chunk data not followed by CRLF, got", data.substr(pos, 1));
      }
      ++pos;
      return absl::OkStatus();
    }
    case State::kDone:
      break;
  }
  return absl::OkStatus();
}

absl::Status HttpResponseParser::StepLine(std::string_view data, std::size_t& pos) {
  // A chunk-size line has a budget of its own; head and trailer lines share
  // the response's.
  const bool counted = state_ != State::kChunkSize;
  const std::size_t limit = options_.max_header_bytes - (counted ? header_bytes_ : std::size_t{0});
  const auto over_limit = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(state_ == State::kChunkSize  ? "chunk-size line exceeds"
                     : state_ == State::kTrailers ? "response head and chunked trailers exceed"
                                                  : "response head exceeds",
                     " max_header_bytes (", options_.max_header_bytes, ")"));
  };
  const std::string_view rest = data.substr(pos);
  const std::size_t lf = rest.find('\n');
  if (lf == std::string_view::npos) {
    // The line end still to come needs a byte of the budget too.
    if (rest.size() >= limit - line_buffer_.size()) return over_limit();
    line_buffer_.append(rest.data(), rest.size());
    pos = data.size();
    return absl::OkStatus();
  }
  if (lf + 1 > limit - line_buffer_.size()) return over_limit();
  std::string_view line = rest.substr(0, lf);
  if (!line_buffer_.empty()) {
    line_buffer_.append(line.data(), line.size());
    line = line_buffer_;
  }
  pos += lf + 1;
  if (counted) header_bytes_ += line.size() + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  absl::Status status;
  if (line.find('\r') != std::string_view::npos) {
    status = Malformed("CR not followed by LF in line", line);
  } else {
    status = OnLine(line);
  }
  line_buffer_.clear();
  return status;
}

absl::Status HttpResponseParser::OnLine(std::string_view line) {
  switch (state_) {
    case State::kStatusLine: {
      COHORT_ASSIGN_OR_RETURN(const StatusLine status_line, ParseStatusLine(line));
      http11_ = status_line.http11;
      status_ = status_line.status;
      state_ = State::kHeaderLines;
      return absl::OkStatus();
    }
    case State::kHeaderLines: {
      if (line.empty()) return EndOfHead();
      COHORT_ASSIGN_OR_RETURN(HttpHeader header, ParseFieldLine(line));
      headers_.push_back(std::move(header));
      return absl::OkStatus();
    }
    case State::kChunkSize: {
      COHORT_ASSIGN_OR_RETURN(const std::uint64_t size, ParseChunkSize(line));
      body_length_ = size;
      body_remaining_ = size;
      state_ = size == 0 ? State::kTrailers : State::kChunkData;
      return absl::OkStatus();
    }
    case State::kTrailers: {
      if (line.empty()) {
        Finish();
        return absl::OkStatus();
      }
      // Ignored, but held to the header syntax: a stray line here means the
      // framing is off.
      return ParseFieldLine(line).status();
    }
    default:
      return absl::InternalError("HttpResponseParser: line in a body state");
  }
}

absl::Status HttpResponseParser::EndOfHead() {
  if (status_ < 200) {
    // Interim: the final response follows with a fresh budget.
    headers_.clear();
    header_bytes_ = 0;
    state_ = State::kStatusLine;
    return absl::OkStatus();
  }
  headers_done_ = true;
  bool close = false;
  bool has_transfer_encoding = false;
  std::string_view last_coding;
  for (const HttpHeader& header : headers_) {
    if (absl::EqualsIgnoreCase(header.name, "connection")) {
      ForEachListElement(header.value, [&](std::string_view token) {
        close = close || absl::EqualsIgnoreCase(Absl(token), "close");
      });
    } else if (absl::EqualsIgnoreCase(header.name, "transfer-encoding")) {
      has_transfer_encoding = true;
      ForEachListElement(header.value, [&](std::string_view coding) { last_coding = coding; });
    }
  }
  keep_alive_ = http11_ && !close;
  if (options_.head_request || status_ == 204 || status_ == 304) {
    Finish();
    return absl::OkStatus();
  }
  if (has_transfer_encoding) {
    // RFC 9112 6.3: Transfer-Encoding overrides Content-Length, but a
    // message with both may have been smuggled past something: no reuse.
    if (absl::EqualsIgnoreCase(Absl(last_coding), "chunked")) {
      for (const HttpHeader& header : headers_) {
        if (absl::EqualsIgnoreCase(header.name, "content-length")) keep_alive_ = false;
      }
      state_ = State::kChunkSize;
    } else {
      keep_alive_ = false;
      state_ = State::kBodyUntilClose;
    }
    return absl::OkStatus();
  }
  COHORT_ASSIGN_OR_RETURN(const std::optional<std::uint64_t> length, ContentLength(headers_));
  if (!length.has_value()) {
    keep_alive_ = false;
    state_ = State::kBodyUntilClose;
  } else if (*length == 0) {
    Finish();
  } else {
    body_length_ = *length;
    body_remaining_ = *length;
    state_ = State::kBody;
  }
  return absl::OkStatus();
}

absl::Status HttpResponseParser::Deliver(std::string_view piece) {
  if (piece.empty()) return absl::OkStatus();
  body_received_ += piece.size();
  if (!on_body_) return absl::OkStatus();
  return on_body_(piece);
}

void HttpResponseParser::Finish() {
  state_ = State::kDone;
  done_ = true;
}

absl::Status HttpResponseParser::Fail(absl::Status status) {
  failed_ = std::move(status);
  return failed_;
}

}  // namespace cohort::blob::s3
