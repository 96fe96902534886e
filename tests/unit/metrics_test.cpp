// The metrics registry's text exposition (format 0.0.4): help and type lines, sorted label
// sets with escaped values, cumulative histogram buckets with +Inf, _sum and _count; families
// with no series render nothing; counters refuse to go down; concurrent updates are not lost.
#include <gtest/gtest.h>

#include <thread>

#include "metrics/registry.h"

namespace longalign::metrics {
namespace {

TEST(Metrics, RendersTheTextExpositionFormat) {
  Registry r;
  auto& g = BuildGauge().Name("longalign_cell_loss").Help("The loss\nof a cell").Register(r);
  g.Add({{"sweep", "s"}, {"cell", "a\"b\\c"}}).Set(1.5);
  auto& c = BuildCounter().Name("tokens_total").Help("Tokens").Register(r);
  c.Add({}).Increment(3);
  auto& h = BuildHistogram().Name("step_seconds").Help("Steps").Buckets({0.1, 1}).Register(r);
  h.Add({{"cell", "x"}}).Observe(0.05);
  h.Add({{"cell", "x"}}).Observe(0.5);
  h.Add({{"cell", "x"}}).Observe(7);
  BuildGauge().Name("unused").Help("No series").Register(r);
  EXPECT_EQ(r.Serialize(),
            "# HELP longalign_cell_loss The loss\\nof a cell\n"
            "# TYPE longalign_cell_loss gauge\n"
            "longalign_cell_loss{cell=\"a\\\"b\\\\c\",sweep=\"s\"} 1.5\n"
            "# HELP tokens_total Tokens\n"
            "# TYPE tokens_total counter\n"
            "tokens_total 3\n"
            "# HELP step_seconds Steps\n"
            "# TYPE step_seconds histogram\n"
            "step_seconds_bucket{cell=\"x\",le=\"0.10000000000000001\"} 1\n"
            "step_seconds_bucket{cell=\"x\",le=\"1\"} 2\n"
            "step_seconds_bucket{cell=\"x\",le=\"+Inf\"} 3\n"
            "step_seconds_sum{cell=\"x\"} 7.5499999999999998\n"
            "step_seconds_count{cell=\"x\"} 3\n");
}

TEST(Metrics, RejectsWhatPrometheusWould) {
  Registry r;
  auto& c = BuildCounter().Name("c_total").Help("x").Register(r);
  EXPECT_THROW(c.Add({}).Increment(-1), std::invalid_argument);
  EXPECT_THROW(BuildCounter().Name("c_total").Help("again").Register(r), std::invalid_argument);
  EXPECT_THROW(BuildGauge().Name("bad-name").Help("x").Register(r), std::invalid_argument);
  EXPECT_THROW(c.Add({{"__reserved", "x"}}), std::invalid_argument);
  EXPECT_EQ(sanitize_label_name("train.rows_per_micro_batch"), "train_rows_per_micro_batch");
  EXPECT_EQ(sanitize_label_name("data.copy.count"), "data_copy_count");
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Registry r;
  auto& c = BuildCounter().Name("n_total").Help("x").Register(r);
  auto& g = BuildGauge().Name("g").Help("x").Register(r);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Add({{"k", "v"}}).Increment();
        g.Add({}).Increment(2);
        if (i % 1000 == 0) r.Serialize();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Add({{"k", "v"}}).Value(), 40000);
  EXPECT_EQ(g.Add({}).Value(), 80000);
}

}  // namespace
}  // namespace longalign::metrics
