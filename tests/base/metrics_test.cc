#include "cohort/base/metrics.h"

#include <thread>
#include <vector>

#include "cohort/base/context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(Metrics, CountersGaugesHistogramsByNameAndLabels) {
  InMemoryMetrics m;
  auto a = m.NewCounter({"cohort_x_total", "x", {{"member", "1"}}});
  auto b = m.NewCounter({"cohort_x_total", "x", {{"member", "2"}}});
  a->Add(3);
  a->Increment();
  b->Increment();
  EXPECT_THAT(m.CounterValue("cohort_x_total", {{"member", "1"}}), Optional(4u));
  EXPECT_THAT(m.CounterValue("cohort_x_total", {{"member", "2"}}), Optional(1u));
  EXPECT_EQ(m.CounterValue("cohort_x_total", {{"member", "3"}}), std::nullopt);

  auto g = m.NewGauge({"cohort_term", "term", {}});
  g->Set(7);
  EXPECT_THAT(m.GaugeValue("cohort_term"), Optional(7.0));

  auto h = m.NewHistogram({"cohort_lat_seconds", "latency", {}}, {0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.005, 0.05, 2.0}) h->Observe(v);
  auto v = m.HistogramOf("cohort_lat_seconds");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->count, 5u);
  EXPECT_DOUBLE_EQ(v->sum, 0.0005 + 0.001 + 0.005 + 0.05 + 2.0);
  // <= 0.001: two; (0.001, 0.01]: one; (0.01, 0.1]: one; above: one.
  EXPECT_THAT(v->buckets, ElementsAre(2u, 1u, 1u, 1u));
}

TEST(Metrics, SameNameAndLabelsInAnyOrderIsOneInstrument) {
  InMemoryMetrics m;
  auto a = m.NewCounter({"c_total", "", {{"a", "1"}, {"b", "2"}}});
  auto b = m.NewCounter({"c_total", "", {{"b", "2"}, {"a", "1"}}});
  a->Increment();
  b->Increment();
  EXPECT_EQ(a, b);
  EXPECT_THAT(m.CounterValue("c_total", {{"b", "2"}, {"a", "1"}}), Optional(2u));
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  InMemoryMetrics m;
  auto c = m.NewCounter({"c_total", "", {}});
  auto h = m.NewHistogram({"h", "", {}}, {1.0});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->Increment();
        h->Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(m.CounterValue("c_total"), Optional(40000u));
  EXPECT_EQ(m.HistogramOf("h")->count, 40000u);
  EXPECT_DOUBLE_EQ(m.HistogramOf("h")->sum, 20000.0);
}

TEST(Metrics, RenderIsPrometheusText) {
  InMemoryMetrics m;
  m.NewCounter({"cohort_a_total", "things \"done\"", {{"member", "1"}}})->Add(2);
  m.NewGauge({"cohort_b", "a gauge", {{"path", "a\"b\\c"}}})->Set(1.5);
  m.NewHistogram({"cohort_c_seconds", "time", {}}, {0.5, 1})->Observe(0.7);
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE cohort_a_total counter\n"));
  EXPECT_THAT(text, HasSubstr("cohort_a_total{member=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("cohort_b{path=\"a\\\"b\\\\c\"} 1.5\n"));
  EXPECT_THAT(text, HasSubstr("cohort_c_seconds_bucket{le=\"0.5\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("cohort_c_seconds_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cohort_c_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cohort_c_seconds_count 1\n"));
}

TEST(Metrics, ContextFallsBackToNoop) {
  Context ctx;
  MetricsSink& sink = ctx.MetricsOrNoop();
  EXPECT_EQ(&sink, &NoopMetrics());
  sink.NewCounter({"x", "", {}})->Increment();  // Dropped, never fails.
  InMemoryMetrics m;
  ctx.metrics = &m;
  EXPECT_EQ(&ctx.MetricsOrNoop(), &m);
}

TEST(Metrics, ExponentialBounds) {
  EXPECT_THAT(ExponentialBounds(1, 2, 4), ElementsAre(1, 2, 4, 8));
}

}  // namespace
}  // namespace cohort
