#include "cohort/base/metrics.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace cohort {
namespace {

class NoopCounter final : public Counter {
 public:
  void Add(std::uint64_t) override {}
};
class NoopGauge final : public Gauge {
 public:
  void Set(double) override {}
};
class NoopHistogram final : public Histogram {
 public:
  void Observe(double) override {}
};

class NoopSink final : public MetricsSink {
 public:
  std::shared_ptr<Counter> NewCounter(const MetricInfo&) override { return counter_; }
  std::shared_ptr<Gauge> NewGauge(const MetricInfo&) override { return gauge_; }
  std::shared_ptr<Histogram> NewHistogram(const MetricInfo&, std::vector<double>) override {
    return histogram_;
  }

 private:
  std::shared_ptr<Counter> counter_ = std::make_shared<NoopCounter>();
  std::shared_ptr<Gauge> gauge_ = std::make_shared<NoopGauge>();
  std::shared_ptr<Histogram> histogram_ = std::make_shared<NoopHistogram>();
};

void AddDouble(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

class MemoryCounter final : public Counter {
 public:
  void Add(std::uint64_t delta) override { value.fetch_add(delta, std::memory_order_relaxed); }
  std::atomic<std::uint64_t> value{0};
};

class MemoryGauge final : public Gauge {
 public:
  void Set(double v) override { value.store(v, std::memory_order_relaxed); }
  std::atomic<double> value{0};
};

class MemoryHistogram final : public Histogram {
 public:
  explicit MemoryHistogram(std::vector<double> b)
      : bounds(std::move(b)), buckets(bounds.size() + 1) {}
  void Observe(double v) override {
    const std::size_t i =
        std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
    AddDouble(sum, v);
  }
  const std::vector<double> bounds;
  std::vector<std::atomic<std::uint64_t>> buckets;
  std::atomic<std::uint64_t> count{0};
  std::atomic<double> sum{0};
};

MetricLabels Sorted(MetricLabels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string LabelText(const MetricLabels& labels, std::string_view extra_key = "",
                      std::string_view extra_value = "") {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(absl::StrCat(k, "=\"", Escape(v), "\""));
  if (!extra_key.empty()) {
    parts.push_back(absl::StrCat(absl::string_view(extra_key.data(), extra_key.size()), "=\"",
                                 Escape(extra_value), "\""));
  }
  if (parts.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ",";
    out += parts[i];
  }
  return out + "}";
}

std::string Number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v)) && v < 1e15 && v > -1e15) {
    return absl::StrCat(static_cast<std::int64_t>(v));
  }
  return absl::StrCat(v);
}

}  // namespace

MetricsSink& NoopMetrics() {
  static NoopSink* sink = new NoopSink();
  return *sink;
}

std::vector<double> ExponentialBounds(double first, double factor, int count) {
  std::vector<double> out;
  double v = first;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

struct InMemoryMetrics::Impl {
  using Key = std::pair<std::string, MetricLabels>;
  struct Entry {
    std::string help;
    std::shared_ptr<MemoryCounter> counter;
    std::shared_ptr<MemoryGauge> gauge;
    std::shared_ptr<MemoryHistogram> histogram;
  };
  const Entry* Find(std::string_view name, const MetricLabels& labels) const
      ABSL_SHARED_LOCKS_REQUIRED(mu) {
    auto it = entries.find(Key(std::string(name), Sorted(labels)));
    return it == entries.end() ? nullptr : &it->second;
  }
  mutable absl::Mutex mu;
  std::map<Key, Entry> entries ABSL_GUARDED_BY(mu);
};

InMemoryMetrics::InMemoryMetrics() : impl_(std::make_unique<Impl>()) {}
InMemoryMetrics::~InMemoryMetrics() = default;

std::shared_ptr<Counter> InMemoryMetrics::NewCounter(const MetricInfo& info) {
  absl::MutexLock lock(&impl_->mu);
  Impl::Entry& e = impl_->entries[{info.name, Sorted(info.labels)}];
  if (e.counter == nullptr) e.counter = std::make_shared<MemoryCounter>();
  e.help = info.help;
  return e.counter;
}

std::shared_ptr<Gauge> InMemoryMetrics::NewGauge(const MetricInfo& info) {
  absl::MutexLock lock(&impl_->mu);
  Impl::Entry& e = impl_->entries[{info.name, Sorted(info.labels)}];
  if (e.gauge == nullptr) e.gauge = std::make_shared<MemoryGauge>();
  e.help = info.help;
  return e.gauge;
}

std::shared_ptr<Histogram> InMemoryMetrics::NewHistogram(const MetricInfo& info,
                                                         std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  absl::MutexLock lock(&impl_->mu);
  Impl::Entry& e = impl_->entries[{info.name, Sorted(info.labels)}];
  if (e.histogram == nullptr) e.histogram = std::make_shared<MemoryHistogram>(std::move(bounds));
  e.help = info.help;
  return e.histogram;
}

std::optional<std::uint64_t> InMemoryMetrics::CounterValue(std::string_view name,
                                                           const MetricLabels& labels) const {
  absl::ReaderMutexLock lock(&impl_->mu);
  const Impl::Entry* e = impl_->Find(name, labels);
  if (e == nullptr || e->counter == nullptr) return std::nullopt;
  return e->counter->value.load(std::memory_order_relaxed);
}

std::optional<double> InMemoryMetrics::GaugeValue(std::string_view name,
                                                  const MetricLabels& labels) const {
  absl::ReaderMutexLock lock(&impl_->mu);
  const Impl::Entry* e = impl_->Find(name, labels);
  if (e == nullptr || e->gauge == nullptr) return std::nullopt;
  return e->gauge->value.load(std::memory_order_relaxed);
}

std::optional<InMemoryMetrics::HistogramValue> InMemoryMetrics::HistogramOf(
    std::string_view name, const MetricLabels& labels) const {
  absl::ReaderMutexLock lock(&impl_->mu);
  const Impl::Entry* e = impl_->Find(name, labels);
  if (e == nullptr || e->histogram == nullptr) return std::nullopt;
  const MemoryHistogram& h = *e->histogram;
  HistogramValue v;
  v.count = h.count.load(std::memory_order_relaxed);
  v.sum = h.sum.load(std::memory_order_relaxed);
  v.bounds = h.bounds;
  for (const auto& b : h.buckets) v.buckets.push_back(b.load(std::memory_order_relaxed));
  return v;
}

std::string InMemoryMetrics::Render() const {
  absl::ReaderMutexLock lock(&impl_->mu);
  std::string out;
  std::string last_name;
  for (const auto& [key, e] : impl_->entries) {
    const auto& [name, labels] = key;
    const char* type = e.counter ? "counter" : e.gauge ? "gauge" : "histogram";
    if (name != last_name) {
      absl::StrAppend(&out, "# HELP ", name, " ", e.help, "\n# TYPE ", name, " ", type, "\n");
      last_name = name;
    }
    if (e.counter) {
      absl::StrAppend(&out, name, LabelText(labels), " ",
                      e.counter->value.load(std::memory_order_relaxed), "\n");
    } else if (e.gauge) {
      absl::StrAppend(&out, name, LabelText(labels), " ",
                      Number(e.gauge->value.load(std::memory_order_relaxed)), "\n");
    } else if (e.histogram) {
      const MemoryHistogram& h = *e.histogram;
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
        cumulative += h.buckets[i].load(std::memory_order_relaxed);
        const std::string le = i < h.bounds.size() ? absl::StrCat(h.bounds[i]) : "+Inf";
        absl::StrAppend(&out, name, "_bucket", LabelText(labels, "le", le), " ", cumulative,
                        "\n");
      }
      absl::StrAppend(&out, name, "_sum", LabelText(labels), " ",
                      Number(h.sum.load(std::memory_order_relaxed)), "\n", name, "_count",
                      LabelText(labels), " ", h.count.load(std::memory_order_relaxed), "\n");
    }
  }
  return out;
}

}  // namespace cohort
