// How a step's loss weight spreads over its sequences, from the weights the loss-weighting
// plugin returned: what packing's token mean does to the per-sequence mean (paper section 3.2)
// made visible per step. A sequence's weight is the sum of its target tokens' weights in the
// step; relative to the per-sequence mean's 1/M of the step's total, every sequence weighs 1
// under that mean, and N_i M / (sum N) under a token mean.
#pragma once
#include <longalign/plugin.h>

#include <vector>

namespace longalign::host {

struct WeightSpread {
  double longest_quarter_share = 0;  // of the step's weight, on its longest quarter of sequences (by N_i)
  double min = 0, median = 0, max = 0;  // per-sequence weight over the per-sequence mean's
};

struct StepWeightSpread {
  WeightSpread weighting;   // the cell's loss weighting
  WeightSpread token_mean;  // what a token mean over the step would give the same sequences
};

// segments[k] carries weights[k] on each of its target tokens (weigh_step's output).
StepWeightSpread step_weight_spread(const std::vector<la_step_segment>& segments, const std::vector<double>& weights);

}  // namespace longalign::host
