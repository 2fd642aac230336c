#include "blob/s3/http_transfer.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::blob::s3 {

std::size_t CurlHeaderCallback(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (absl::StartsWith(absl::string_view(line.data(), line.size()), "HTTP/")) {
    // A new response (after 100 Continue or a redirect): start over.
    t->response.headers.clear();
    return size * count;
  }
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    t->response.headers.push_back(
        {std::string(line.substr(0, colon)),
         std::string(absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size())))});
  }
  return size * count;
}

absl::Status CheckHeader(const HttpHeader& h) {
  if (h.name.empty() || h.name.find_first_of(":\r\n") != std::string::npos ||
      h.value.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("header \"", h.name, "\" is empty or contains a line break or colon"));
  }
  return absl::OkStatus();
}

absl::Status AcceptResponseBody(Transfer& t, std::string_view piece) {
  if (t.request->body_sink) {
    t.callback_status = t.request->body_sink(piece);
    return t.callback_status;
  }
  if (t.response.body.size() + piece.size() > t.max_response_bytes) {
    t.callback_status = absl::ResourceExhaustedError(
        absl::StrCat("response body larger than max_response_bytes (", t.max_response_bytes,
                     "); stream it through a BodySink"));
    return t.callback_status;
  }
  t.response.body.append(piece.data(), piece.size());
  return absl::OkStatus();
}

std::size_t CurlWriteCallback(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  return AcceptResponseBody(*t, std::string_view(data, n)).ok() ? n : 0;
}

std::size_t CurlReadCallback(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t capacity = size * count;
  if (t->request->body_source) {
    absl::StatusOr<std::size_t> n = t->request->body_source(buffer, capacity);
    if (!n.ok()) {
      t->callback_status = n.status();
      return CURL_READFUNC_ABORT;
    }
    return *n;
  }
  const std::string_view body = t->request->InMemoryBody();
  const std::size_t n = std::min(capacity, body.size() - t->body_offset);
  std::memcpy(buffer, body.data() + t->body_offset, n);
  t->body_offset += n;
  return n;
}

// libcurl rewinds the body when it must resend it (a reused connection
// that the server had closed).
int CurlSeekCallback(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || t->request->body_source) return CURL_SEEKFUNC_CANTSEEK;
  if (offset < 0 || static_cast<std::size_t>(offset) > t->request->InMemoryBody().size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  t->body_offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

absl::Status CurlError(CURLcode code, const Transfer& t) {
  const std::string what =
      absl::StrCat(t.request->method, " ", t.request->url, ": ", curl_easy_strerror(code));
  switch (code) {
    case CURLE_OK:
      return absl::OkStatus();
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(what);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return MarkNotSent(absl::UnavailableError(what));
    case CURLE_OPERATION_TIMEDOUT:
      return absl::UnavailableError(absl::StrCat(what, " (stalled or could not connect)"));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return absl::FailedPreconditionError(what);
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
      if (!t.callback_status.ok()) return t.callback_status;
      return absl::UnavailableError(what);
    default:
      return absl::UnavailableError(what);
  }
}

}  // namespace cohort::blob::s3
