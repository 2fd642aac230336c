#include "blob/s3/http_client.h"

#include <curl/curl.h>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <algorithm>
#include <cstring>
#include <deque>
#include <thread>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "blob/s3/direct_http.h"
#include "blob/s3/http_transfer.h"
#include "cohort/base/deadline.h"
#include "cohort/base/status.h"
#include "cohort/resilience/status_hints.h"

namespace cohort::blob::s3 {

class HttpClient::Worker {
 public:
  Worker(HttpClientOptions options, CURLM* multi, Clock* clock)
      : options_(std::move(options)), multi_(multi) {
    direct_ = std::make_unique<DirectExchanges>(
        options_, clock,
        [this](const std::shared_ptr<Transfer>& t, absl::Status status) {
          Finish(t, std::move(status));
        },
        [multi] { curl_multi_wakeup(multi); });
    thread_ = std::thread([this] { Loop(); });
  }

  ~Worker() {
    Stop();
    // Before the multi handle: resolver threads wake it until then.
    direct_.reset();
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  // Fails the transfers in flight with kCancelled and joins the thread.
  // Idempotent; called by the owning HttpClient's destructor (coroutines
  // still holding the worker keep only its memory alive).
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
  }

  void Submit(std::shared_ptr<Transfer> transfer) {
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_) {
        submitted_.push_back(std::move(transfer));
        transfer = nullptr;
      }
    }
    if (transfer) {
      transfer->done = true;
      transfer->completion->Complete(absl::CancelledError("the HTTP client was destroyed"));
      return;
    }
    curl_multi_wakeup(multi_);
  }

  void Cancel(std::weak_ptr<Transfer> transfer, absl::Status reason) {
    {
      absl::MutexLock lock(&mu_);
      cancelled_.emplace_back(std::move(transfer), std::move(reason));
    }
    curl_multi_wakeup(multi_);
  }

  const HttpClientOptions& options() const { return options_; }

 private:
  absl::Status Configure(Transfer& t) {
    const HttpRequest& r = *t.request;
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(absl::ToInt64Seconds(options_.stall_timeout)));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlHeaderCallback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlWriteCallback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    const bool has_body = r.body_source ? true : !r.InMemoryBody().empty();
    const std::uint64_t body_size = r.body_source ? r.body_size : r.InMemoryBody().size();
    if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (has_body || r.method == "PUT" || r.method == "POST") {
      // UPLOAD sends a body of a known size with any verb.
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
      // Fewer, larger send() calls for multi-MiB parts (libcurl's default
      // is 64 KiB).
      curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, &CurlReadCallback);
      curl_easy_setopt(e, CURLOPT_READDATA, &t);
      curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, &CurlSeekCallback);
      curl_easy_setopt(e, CURLOPT_SEEKDATA, &t);
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    } else if (r.method != "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    // No "Expect: 100-continue" round trip: S3 answers errors early anyway
    // and the wait costs a second on servers that ignore it.
    t.header_list = curl_slist_append(t.header_list, "Expect:");
    for (const HttpHeader& h : r.headers) {
      COHORT_RETURN_IF_ERROR(CheckHeader(h));
      const std::string line =
          h.value.empty() ? absl::StrCat(h.name, ";") : absl::StrCat(h.name, ": ", h.value);
      t.header_list = curl_slist_append(t.header_list, line.c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    return absl::OkStatus();
  }

  void Start(std::shared_ptr<Transfer> t) {
    t->max_response_bytes = options_.max_response_bytes;
    if (std::optional<DirectTarget> target = direct_->Route(*t->request)) {
      t->direct = true;
      direct_->Start(std::move(t), *std::move(target));
      return;
    }
    if (idle_.empty()) {
      t->easy = curl_easy_init();
    } else {
      t->easy = idle_.back();
      idle_.pop_back();
    }
    if (t->easy == nullptr) {
      Finish(t, absl::InternalError("curl_easy_init failed"));
      return;
    }
    if (absl::Status s = Configure(*t); !s.ok()) {
      Finish(t, std::move(s));
      return;
    }
    if (curl_multi_add_handle(multi_, t->easy) != CURLM_OK) {
      Finish(t, absl::InternalError("curl_multi_add_handle failed"));
      return;
    }
    active_[t->easy] = std::move(t);
  }

  // Detaches the easy handle (back to the pool) and completes the call.
  void Finish(const std::shared_ptr<Transfer>& t, absl::Status status) {
    if (t->done) return;
    t->done = true;
    if (t->direct) direct_->Abort(t.get());
    if (t->easy != nullptr) {
      active_.erase(t->easy);
      curl_multi_remove_handle(multi_, t->easy);
      curl_easy_reset(t->easy);
      idle_.push_back(t->easy);
      t->easy = nullptr;
    }
    curl_slist_free_all(t->header_list);
    t->header_list = nullptr;
    std::unique_ptr<Completion> completion = std::move(t->completion);
    if (status.ok()) {
      completion->Complete(std::move(t->response));
    } else {
      completion->Complete(std::move(status));
    }
  }

  void Loop() {
    while (true) {
      std::deque<std::shared_ptr<Transfer>> submitted;
      std::deque<std::pair<std::weak_ptr<Transfer>, absl::Status>> cancelled;
      bool stopping = false;
      {
        absl::MutexLock lock(&mu_);
        submitted.swap(submitted_);
        cancelled.swap(cancelled_);
        stopping = stopping_;
      }
      for (std::shared_ptr<Transfer>& t : submitted) Start(std::move(t));
      for (auto& [weak, reason] : cancelled) {
        if (std::shared_ptr<Transfer> t = weak.lock()) Finish(t, std::move(reason));
      }
      if (stopping) {
        absl::MutexLock lock(&mu_);
        for (std::shared_ptr<Transfer>& t : submitted_) {
          Finish(t, absl::CancelledError("the HTTP client was destroyed"));
        }
        submitted_.clear();
      }
      if (stopping) {
        while (!active_.empty()) {
          Finish(active_.begin()->second, absl::CancelledError("the HTTP client was destroyed"));
        }
        for (const std::shared_ptr<Transfer>& t : direct_->AbortAll()) {
          Finish(t, absl::CancelledError("the HTTP client was destroyed"));
        }
        return;
      }
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        auto it = active_.find(msg->easy_handle);
        if (it == active_.end()) continue;
        std::shared_ptr<Transfer> t = it->second;
        const CURLcode code = msg->data.result;
        if (code == CURLE_OK) {
          long status = 0;
          curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
          t->response.status = static_cast<int>(status);
        }
        Finish(t, CurlError(code, *t));
      }
      waits_.clear();
      int timeout_ms = 1000;
      direct_->AddWaits(waits_, timeout_ms);
      curl_multi_poll(multi_, waits_.data(), static_cast<unsigned>(waits_.size()), timeout_ms,
                      nullptr);
      direct_->Progress();
    }
  }

  const HttpClientOptions options_;
  CURLM* const multi_;
  std::thread thread_;
  // Worker thread only.
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> active_;
  std::vector<CURL*> idle_;
  std::unique_ptr<DirectExchanges> direct_;
  std::vector<curl_waitfd> waits_;

  absl::Mutex mu_;
  std::deque<std::shared_ptr<Transfer>> submitted_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<std::weak_ptr<Transfer>, absl::Status>> cancelled_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options,
                                                               const Context& ctx) {
  COHORT_RETURN_IF_ERROR(ctx.Validate());
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_connections must be >= 1, got ", options.max_connections));
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connect_timeout must be > 0, got ", absl::FormatDuration(options.connect_timeout)));
  }
  if (options.stall_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stall_timeout must be >= 1s, got ", absl::FormatDuration(options.stall_timeout)));
  }
  if (options.max_response_bytes < 1) {
    return absl::InvalidArgumentError("max_response_bytes must be >= 1");
  }
  // Thread-safe since libcurl 7.84 and idempotent; the matching cleanup is
  // left to process exit because other libcurl users may share the process.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return absl::InternalError("curl_global_init failed");
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options.max_connections));
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options.max_connections));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_connections));
  auto worker = std::make_shared<Worker>(std::move(options), multi, ctx.clock);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(worker), ctx.clock));
}

HttpClient::HttpClient(std::shared_ptr<Worker> worker, Clock* clock)
    : worker_(std::move(worker)), clock_(clock) {}

HttpClient::~HttpClient() { worker_->Stop(); }

Awaitable<absl::StatusOr<HttpResponse>> HttpClient::SendNoDeadline(
    std::shared_ptr<HttpRequest> request) {
  auto transfer = std::make_shared<Transfer>();
  transfer->request = std::move(request);
  std::shared_ptr<Worker> worker = worker_;
  // A named lambda: GCC 12 destroys closure temporaries of a co_await
  // expression twice.
  auto initiate = [transfer, worker](auto handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      std::weak_ptr<Transfer> weak = transfer;
      slot.assign([weak, worker](asio::cancellation_type) {
        worker->Cancel(weak, absl::CancelledError("HTTP request cancelled"));
      });
    }
    transfer->completion =
        std::make_unique<CompletionImpl<decltype(handler)>>(std::move(handler));
    worker->Submit(transfer);
  };
  HttpResult result =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(HttpResult)>(
          std::move(initiate), asio::use_awaitable);
  co_return result;
}

Awaitable<absl::StatusOr<HttpResponse>> HttpClient::Send(HttpRequest request) {
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  const absl::Time deadline = shared->deadline;
  const std::string what = absl::StrCat(shared->method, " ", shared->url);
  Awaitable<absl::StatusOr<HttpResponse>> op = SendNoDeadline(std::move(shared));
  if (deadline == absl::InfiniteFuture()) co_return co_await std::move(op);
  co_return co_await WithDeadline(*clock_, deadline, std::move(op), what);
}

}  // namespace cohort::blob::s3
