// Metrics hooks: the counters, gauges and histograms that cohort's components
// report, sent to a sink the user provides.
//
// cohort ships no exporter. A service adapts its own registry (Prometheus,
// OpenTelemetry, statsd) by implementing MetricsSink in a few lines, or uses
// InMemoryMetrics below and renders it on its own endpoint. A component asks
// the sink for its instruments once, when it is created, and then only calls
// Add/Set/Observe on them, so a sink may take a lock to create instruments but
// the instruments themselves must be cheap and thread-safe.
//
// Names follow Prometheus conventions: `cohort_<area>_<what>[_total|_seconds|
// _bytes]`, lower case with underscores; labels name the instance (for
// example {"member", "3"}). Each component's header lists what it reports.
#ifndef COHORT_BASE_METRICS_H_
#define COHORT_BASE_METRICS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohort {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// What an instrument measures.
struct MetricInfo {
  // e.g. "cohort_raft_proposals_total".
  std::string name{};
  // One line for operators.
  std::string help{};
  // Fixed for the instrument's lifetime. Default: none.
  MetricLabels labels{};
};

// Every instrument may be called from any thread at once.
class Counter {
 public:
  virtual ~Counter() = default;
  virtual void Add(std::uint64_t delta) = 0;
  void Increment() { Add(1); }
};

class Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void Set(double value) = 0;
};

class Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void Observe(double value) = 0;
};

// Thread-safety: New* may be called from any thread. The instruments returned
// are shared with the component and may outlive the sink's other users; a
// sink must keep whatever they write to alive as long as they are.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual std::shared_ptr<Counter> NewCounter(const MetricInfo& info) = 0;
  virtual std::shared_ptr<Gauge> NewGauge(const MetricInfo& info) = 0;
  // `bounds`: the upper bounds of the buckets the component suggests,
  // ascending (seconds for durations). A sink may use its own.
  virtual std::shared_ptr<Histogram> NewHistogram(const MetricInfo& info,
                                                  std::vector<double> bounds) = 0;
};

// Drops everything: what components use when Context::metrics is null.
MetricsSink& NoopMetrics();

// Exponential bucket bounds: `count` bounds starting at `first`, each
// `factor` times the last (e.g. 50 us to ~3 s for latencies).
std::vector<double> ExponentialBounds(double first, double factor, int count);

// A sink that keeps every value in memory: for tests, demos, and services
// that render it on their own endpoint (Render() writes the Prometheus text
// format). Instruments with the same name and labels are the same instrument.
class InMemoryMetrics final : public MetricsSink {
 public:
  InMemoryMetrics();
  ~InMemoryMetrics() override;
  InMemoryMetrics(const InMemoryMetrics&) = delete;
  InMemoryMetrics& operator=(const InMemoryMetrics&) = delete;

  std::shared_ptr<Counter> NewCounter(const MetricInfo& info) override;
  std::shared_ptr<Gauge> NewGauge(const MetricInfo& info) override;
  std::shared_ptr<Histogram> NewHistogram(const MetricInfo& info,
                                          std::vector<double> bounds) override;

  struct HistogramValue {
    std::uint64_t count = 0;
    double sum = 0;
    std::vector<double> bounds{};
    // buckets[i]: observations <= bounds[i] and > bounds[i - 1]; the last
    // element counts those above every bound.
    std::vector<std::uint64_t> buckets{};
  };

  // The current value, or nullopt if no such instrument was created. Labels
  // match in any order.
  std::optional<std::uint64_t> CounterValue(std::string_view name,
                                            const MetricLabels& labels = {}) const;
  std::optional<double> GaugeValue(std::string_view name, const MetricLabels& labels = {}) const;
  std::optional<HistogramValue> HistogramOf(std::string_view name,
                                            const MetricLabels& labels = {}) const;

  // Every instrument in the Prometheus text exposition format, sorted by
  // name and labels.
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort

#endif  // COHORT_BASE_METRICS_H_
