// The pieces of one HTTP transfer shared by the HttpClient (which starts it
// and awaits it) and its libcurl worker thread (which runs it): the
// type-erased completion, the transfer state, and libcurl's callbacks.
#ifndef COHORT_SRC_BLOB_S3_HTTP_TRANSFER_H_
#define COHORT_SRC_BLOB_S3_HTTP_TRANSFER_H_

#include <curl/curl.h>

#include <asio/associated_executor.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "blob/s3/http_client.h"

namespace cohort::blob::s3 {

using HttpResult = absl::StatusOr<HttpResponse>;

// The awaiting coroutine's completion handler, type-erased.
class Completion {
 public:
  virtual ~Completion() = default;
  // Hands `result` to the handler on its own executor. Called once.
  virtual void Complete(HttpResult result) = 0;
};

template <typename Handler>
class CompletionImpl final : public Completion {
 public:
  explicit CompletionImpl(Handler handler)
      : handler_(std::move(handler)),
        // Keeps the caller's io_context from running out of work while the
        // transfer is on the worker thread.
        work_(asio::prefer(asio::get_associated_executor(handler_),
                           asio::execution::outstanding_work.tracked)) {}

  void Complete(HttpResult result) override {
    // The tracked executor is released on the caller's thread after the
    // handler ran, not here on the worker: released here, the work count could
    // drop after the caller moved on (restarted its io_context, say) and stop it.
    Executor target = asio::prefer(work_, asio::execution::outstanding_work.untracked);
    asio::post(target, [handler = std::move(handler_), result = std::move(result),
                        work = std::move(work_)]() mutable {
      std::move(handler)(std::move(result));
    });
  }

 private:
  Handler handler_;
  Executor work_;
};

struct Transfer {
  std::shared_ptr<HttpRequest> request;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpResponse response;
  std::size_t body_offset = 0;
  std::size_t max_response_bytes = 0;
  absl::Status callback_status;
  std::unique_ptr<Completion> completion;
  bool done = false;    // worker thread only
  bool direct = false;  // on the client's own connections (direct_http.h)
};

// kInvalidArgument when a header would break the request's framing.
absl::Status CheckHeader(const HttpHeader& header);
// Hands a piece of the response body to the request's sink or appends it to
// the response, within max_response_bytes; a failure is also kept in
// `callback_status`.
absl::Status AcceptResponseBody(Transfer& t, std::string_view piece);

// libcurl callbacks; `user` is the Transfer. They run on the worker thread.
std::size_t CurlHeaderCallback(char* data, std::size_t size, std::size_t count, void* user);
std::size_t CurlWriteCallback(char* data, std::size_t size, std::size_t count, void* user);
std::size_t CurlReadCallback(char* buffer, std::size_t size, std::size_t count, void* user);
int CurlSeekCallback(void* user, curl_off_t offset, int origin);

// The status for a finished transfer's libcurl result.
absl::Status CurlError(CURLcode code, const Transfer& t);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_HTTP_TRANSFER_H_
