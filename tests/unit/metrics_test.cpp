// The runner's live series on prometheus-cpp's registry, rendered by its text serializer as a
// scrape would see them: the per-cell info series with its grid values as (sanitized) labels,
// cell states moving between their counts, counters that take the events' running totals as
// differences, the step-time histogram, and a cell's memory series gone once it ends.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include <sstream>

#include "runner/sweep_metrics.h"

namespace longalign::host {
namespace {

std::string scrape(prometheus::Registry& r) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, r.Collect());
  return out.str();
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

ResolvedSweep two_cells() {
  ResolvedSweep resolved;
  resolved.sweep.name = "demo";
  for (int i = 0; i < 2; ++i) {
    Cell c;
    c.id = "cell" + std::to_string(i);
    c.seed = static_cast<uint64_t>(i);
    c.grid = {{"train.rows_per_micro_batch", 2 + i}, {"loss.plugin", "token-mean"}};
    resolved.cells.push_back(c);
  }
  return resolved;
}

TEST(SweepMetrics, EachCellHasAnInfoSeriesWithItsGridAsLabels) {
  prometheus::Registry r;
  ResolvedSweep resolved = two_cells();
  SweepMetrics m(r, resolved);
  const std::string text = scrape(r);
  EXPECT_TRUE(has_line(text, "longalign_cell_info{cell=\"cell1\",loss_plugin=\"token-mean\",seed=\"1\",sweep=\"demo\","
                             "train_rows_per_micro_batch=\"3\"} 1"))
      << text;
  EXPECT_TRUE(has_line(text, "longalign_cells{state=\"pending\",sweep=\"demo\"} 0")) << text;
}

TEST(SweepMetrics, StatesCountersAndHistogramFollowTheEvents) {
  prometheus::Registry r;
  ResolvedSweep resolved = two_cells();
  SweepMetrics m(r, resolved);
  const Cell& c = resolved.cells[0];
  m.state(c, "pending");
  m.state(resolved.cells[1], "pending");
  m.state(c, "running");
  m.progress(c, {{"step", 3}, {"steps", 10}, {"loss", 2.5}, {"real_tokens", 300}, {"padded_slots", 100}, {"step_seconds", {0.05, 2.0}}});
  m.progress(c, {{"step", 4}, {"steps", 10}, {"real_tokens", 400}, {"padded_slots", 100}});
  m.sample_memory(c, getpid());
  std::string text = scrape(r);
  EXPECT_TRUE(has_line(text, "longalign_cells{state=\"pending\",sweep=\"demo\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cells{state=\"running\",sweep=\"demo\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_step{cell=\"cell0\",sweep=\"demo\"} 4")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_loss{cell=\"cell0\",sweep=\"demo\"} 2.5")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_real_tokens_total{cell=\"cell0\",sweep=\"demo\"} 400")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_padding_efficiency{cell=\"cell0\",sweep=\"demo\"} 0.8")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_step_seconds_count{cell=\"cell0\",sweep=\"demo\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_step_seconds_bucket{cell=\"cell0\",sweep=\"demo\",le=\"0.1\"} 1")) << text;
  EXPECT_NE(text.find("longalign_cell_resident_memory_bytes{cell=\"cell0\""), std::string::npos) << text;
  m.forget_memory(c);
  m.state(c, "done");
  text = scrape(r);
  EXPECT_EQ(text.find("longalign_cell_resident_memory_bytes{cell=\"cell0\""), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, "longalign_cells{state=\"running\",sweep=\"demo\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cells{state=\"done\",sweep=\"demo\"} 1")) << text;
}

TEST(SweepMetrics, EvaluationsDuringTrainingAreSeriesByEvaluationAndMetric) {
  prometheus::Registry r;
  ResolvedSweep resolved = two_cells();
  SweepMetrics m(r, resolved);
  m.evaluated_during(resolved.cells[1], {{"step", 250}, {"metrics", {{"tasks", {{"accuracy", 0.25}, {"char_match", 0.5}}}}}});
  m.evaluated_during(resolved.cells[1], {{"step", 500}, {"metrics", {{"tasks", {{"accuracy", 0.75}}}}}});
  const std::string text = scrape(r);
  EXPECT_TRUE(has_line(text, "longalign_cell_eval{cell=\"cell1\",evaluation=\"tasks\",metric=\"accuracy\",sweep=\"demo\"} 0.75")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_eval{cell=\"cell1\",evaluation=\"tasks\",metric=\"char_match\",sweep=\"demo\"} 0.5")) << text;
  EXPECT_TRUE(has_line(text, "longalign_cell_eval_step{cell=\"cell1\",sweep=\"demo\"} 500")) << text;
  EXPECT_EQ(text.find("longalign_cell_eval{cell=\"cell0\""), std::string::npos) << text;
}

TEST(SweepMetrics, GridKeysBecomeValidLabelNames) {
  EXPECT_EQ(sanitize_label_name("train.rows_per_micro_batch"), "train_rows_per_micro_batch");
  EXPECT_EQ(sanitize_label_name("data.copy.count"), "data_copy_count");
  EXPECT_EQ(sanitize_label_name("9lives"), "_9lives");
  EXPECT_EQ(sanitize_label_name("__x"), "_x");
}

}  // namespace
}  // namespace longalign::host
