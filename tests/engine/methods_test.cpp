// The training methods as equivalences, through the real plugins and the real engine: a step
// packed by `packing` (pieces of split sequences included) and weighted by `longalign` has the
// gradient of the per-sequence mean (1/M) sum_i L_i/N_i computed here, piece by piece, for
// micro-batches of 1, 2 and 4 rows, and trains like it (AdamW steps) for micro-batches of 1, 2, 4
// rows x accumulation over 1, 2, 4 micro-batches (updates within 3e-4 of it, measured 4e-7 to
// 8e-5, where token-mean parts by 3e-2 to 0.8); `token-mean-per-row` has the gradient of Eq. 3's
// weights computed here. Reference weights never come from the plugins.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "batching/plan_check.h"
#include "cell/step_batches.h"
#include "plugin/instance.h"

namespace longalign::host {
namespace {

const std::filesystem::path kPlugins = LONGALIGN_BUNDLED_PLUGIN_DIR;

// n sequences, 3 to 40 tokens: BOS, a prompt, then an answer of targets; one in 7 has no targets.
Dataset make_data(int n = 14) {
  std::mt19937 rng(3);
  Dataset d;
  d.pad = 258;
  for (int i = 0; i < n; ++i) {
    Tokenized t;
    int len = 3 + static_cast<int>(rng() % 38);
    t.ids.push_back(256);
    t.target.push_back(0);
    for (int k = 1; k < len; ++k) {
      t.ids.push_back(rng() % 256);
      t.target.push_back(i % 7 != 3 && k > len / 3 ? 1 : 0);
    }
    d.lengths.push_back(static_cast<uint32_t>(t.ids.size()));
    d.targets.push_back(t.targets());
    d.tokens.push_back(std::move(t));
  }
  return d;
}

// One piece alone as a micro-batch, each trainable target weighted by w.
engine::MicroBatch piece_alone(const Dataset& d, const la_segment& seg, double w) {
  engine::MicroBatch mb;
  mb.rows = 1;
  mb.width = seg.length;
  const Tokenized& t = d.tokens[seg.sequence];
  for (uint32_t k = 0; k < seg.length; ++k) {
    mb.ids.push_back(t.ids[seg.offset + k]);
    mb.positions.push_back(seg.offset + k);
    mb.weights.push_back(k > 0 && t.target[seg.offset + k] ? static_cast<float>(w) : 0.0f);
  }
  return mb;
}

double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d = std::max(d, static_cast<double>(std::fabs(a[i] - b[i])));
    m = std::max(m, static_cast<double>(std::fabs(b[i])));
  }
  return d / m;
}

// ||(a - a0) - (b - a0)|| / ||b - a0||: how far two trainings' updates from a0 part. AdamW
// moves a parameter with a near-zero gradient by about lr whatever the gradient's rounding, so
// the updates are compared as a whole, not element by element.
double update_diff(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& a0) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    n += (static_cast<double>(b[i]) - a0[i]) * (static_cast<double>(b[i]) - a0[i]);
  }
  return std::sqrt(d / n);
}

struct Step {
  Plan plan;
  std::vector<la_step_segment> segs;
  std::vector<la_segment> pieces;  // the same segments, as placed
};

Step one_step(const Dataset& d, uint32_t rows_per_micro_batch) {
  auto lib = PluginLibrary::load(kPlugins / "packing.so");
  BatchingInstance packing(lib, {{"overlong", "split"}, {"algorithm", "best-fit-decreasing"}});
  la_batch_input in{};
  in.struct_size = sizeof in;
  in.lengths = d.lengths.data();
  in.targets = d.targets.data();
  in.n_sequences = d.lengths.size();
  in.max_tokens = 32;  // the longest sequences are split
  in.rows_per_micro_batch = rows_per_micro_batch;
  in.sequences_per_step = 1000;  // everything in one step: accumulation over all its micro-batches
  in.seed = 9;
  Step s;
  s.plan = packing.plan(in);
  EXPECT_EQ(check_plan(in, s.plan), "");
  EXPECT_EQ(s.plan.steps.size(), 1u);
  s.segs = step_segments(s.plan, s.plan.steps[0], d, sequence_targets(s.plan, d));
  for (uint32_t m = 0; m < s.plan.micro_batches.size(); ++m)
    for (uint32_t r = s.plan.micro_batches[m].first; r < s.plan.micro_batches[m].first + s.plan.micro_batches[m].count; ++r)
      for (uint32_t k = s.plan.rows[r].first_segment; k < s.plan.rows[r].first_segment + s.plan.rows[r].n_segments; ++k)
        s.pieces.push_back(s.plan.segments[k]);
  return s;
}

la_step as_step(std::vector<la_step_segment>& segs) {
  la_step st{sizeof(la_step), segs.data(), segs.size(), 0, 1, 1};
  for (auto& s : segs) {
    st.n_rows = std::max(st.n_rows, s.row + 1);
    st.micro_batches_per_rank = std::max(st.micro_batches_per_rank, s.micro_batch + 1);
  }
  return st;
}

TEST(Methods, LongalignOverPackingIsThePerSequenceMean) {
  Dataset d = make_data();
  auto weighting = std::make_shared<LossWeightingInstance>(PluginLibrary::load(kPlugins / "longalign.so"), nlohmann::json::object());
  bool saw_split = false;
  for (uint32_t rows : {1u, 2u, 4u}) {
    Step s = one_step(d, rows);
    la_step st = as_step(s.segs);
    std::vector<double> w = weighting->weigh(st);
    engine::Trainer tr(engine::model_preset("tiny"), engine::TrainConfig{});
    auto packed = tr.gradient(micro_batches(s.plan, s.plan.steps[0], d, w, true));

    // The reference, computed here: M sequences with targets, N_i their trainable targets.
    std::map<uint32_t, uint32_t> n_i;
    for (auto& seg : s.pieces) n_i[seg.sequence] += piece_targets(d.tokens[seg.sequence], seg);
    double m = 0;
    for (auto& [seq, n] : n_i) m += n > 0;
    std::vector<engine::MicroBatch> alone;
    for (auto& seg : s.pieces) {
      saw_split |= seg.offset > 0;
      uint32_t n = n_i[seg.sequence];
      alone.push_back(piece_alone(d, seg, n ? 1.0 / (n * m) : 0.0));
    }
    auto reference = tr.gradient(alone);
    EXPECT_LT(rel_diff(packed, reference), 2e-5) << rows << " rows per micro-batch, " << s.plan.micro_batches.size()
                                                 << " micro-batches";
  }
  EXPECT_TRUE(saw_split) << "the data must exercise split sequences";
}

// Parameters after the first 2-3 optimizer steps of a plan whose micro-batches are grouped
// `accumulation` to a step: packing + `longalign` against each piece alone with the per-sequence mean's weights
// (M counted per step, N_i over the whole sequence) computed here.
TEST(Methods, LongalignTrainsLikeThePerSequenceMeanForAnyMicroBatchingAndAccumulation) {
  Dataset d = make_data(42);
  LossWeightingInstance weighting(PluginLibrary::load(kPlugins / "longalign.so"), nlohmann::json::object());
  LossWeightingInstance token_mean(PluginLibrary::load(kPlugins / "token-mean.so"), nlohmann::json::object());
  engine::TrainConfig tc;
  tc.lr = 1e-3;
  tc.total_steps = 3;
  for (uint32_t rows : {1u, 2u, 4u})
    for (uint32_t accumulation : {1u, 2u, 4u}) {
      Step s = one_step(d, rows);
      s.plan.steps.clear();
      const auto n_mb = static_cast<uint32_t>(s.plan.micro_batches.size());
      for (uint32_t m = 0; m < n_mb && s.plan.steps.size() < 3; m += accumulation)
        s.plan.steps.push_back({m, std::min(accumulation, n_mb - m)});
      ASSERT_GE(s.plan.steps.size(), 2u) << "at least two optimizer steps";
      std::map<uint32_t, uint32_t> n_i;
      for (auto& seg : s.pieces) n_i[seg.sequence] += piece_targets(d.tokens[seg.sequence], seg);

      engine::Trainer packed(engine::model_preset("tiny"), tc), alone(engine::model_preset("tiny"), tc),
          other(engine::model_preset("tiny"), tc);
      const std::vector<float> start = packed.parameters();
      const std::vector<uint32_t> plan_n_i = sequence_targets(s.plan, d);
      for (const la_range& step : s.plan.steps) {
        std::vector<la_step_segment> segs = step_segments(s.plan, step, d, plan_n_i);
        la_step st = as_step(segs);
        st.micro_batches_per_rank = step.count;
        packed.step(micro_batches(s.plan, step, d, weighting.weigh(st), true));
        other.step(micro_batches(s.plan, step, d, token_mean.weigh(st), true));

        std::vector<la_segment> pieces;
        for (uint32_t m = step.first; m < step.first + step.count; ++m)
          for (uint32_t r = s.plan.micro_batches[m].first; r < s.plan.micro_batches[m].first + s.plan.micro_batches[m].count; ++r)
            for (uint32_t k = s.plan.rows[r].first_segment; k < s.plan.rows[r].first_segment + s.plan.rows[r].n_segments; ++k)
              pieces.push_back(s.plan.segments[k]);
        std::set<uint32_t> with_targets;
        for (auto& seg : pieces)
          if (n_i[seg.sequence] > 0) with_targets.insert(seg.sequence);
        const double m = static_cast<double>(with_targets.size());
        std::vector<engine::MicroBatch> each;
        for (auto& seg : pieces) {
          uint32_t n = n_i[seg.sequence];
          each.push_back(piece_alone(d, seg, n ? 1.0 / (n * m) : 0.0));
        }
        alone.step(each);
      }
      const std::vector<float> reference = alone.parameters();
      EXPECT_LT(update_diff(packed.parameters(), reference, start), 3e-4)
          << rows << " rows per micro-batch, " << accumulation << " micro-batches per step, " << s.plan.steps.size() << " steps";
      // The measure tells weightings apart: token-mean's updates part from the per-sequence mean's.
      EXPECT_GT(update_diff(other.parameters(), reference, start), 1e-2);
    }
}

TEST(Methods, TokenMeanPerRowIsEquation3) {
  Dataset d = make_data();
  auto weighting = std::make_shared<LossWeightingInstance>(PluginLibrary::load(kPlugins / "token-mean-per-row.so"),
                                                           nlohmann::json::object());
  Step s = one_step(d, 2);
  la_step st = as_step(s.segs);
  std::vector<double> w = weighting->weigh(st);
  engine::Trainer tr(engine::model_preset("tiny"), engine::TrainConfig{});
  auto packed = tr.gradient(micro_batches(s.plan, s.plan.steps[0], d, w, true));
  // Eq. 3: (1/K) sum_k (sum_{i in k} L_i / sum_{i in k} N_i), K rows with targets.
  std::map<uint32_t, double> row_targets;
  for (auto& seg : s.segs) row_targets[seg.row] += seg.targets;
  double k = 0;
  for (auto& [row, n] : row_targets) k += n > 0;
  std::vector<engine::MicroBatch> alone;
  for (size_t i = 0; i < s.pieces.size(); ++i) {
    double n_row = row_targets[s.segs[i].row];
    alone.push_back(piece_alone(d, s.pieces[i], n_row > 0 ? 1.0 / (k * n_row) : 0.0));
  }
  EXPECT_LT(rel_diff(packed, tr.gradient(alone)), 2e-5);
  // And it is not the per-sequence mean: crowded rows count for less.
  auto longalign = LossWeightingInstance(PluginLibrary::load(kPlugins / "longalign.so"), nlohmann::json::object()).weigh(st);
  EXPECT_GT(rel_diff(tr.gradient(micro_batches(s.plan, s.plan.steps[0], d, longalign, true)), packed), 1e-2);
}

}  // namespace
}  // namespace longalign::host
